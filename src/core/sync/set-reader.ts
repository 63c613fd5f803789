import { throwIfAborted } from '../abort.ts';
import { getEmbedJob, type EmbedJobCursor } from '../embed/job/index.ts';
import type {
  ChunkRecord,
  DocumentRecord,
  EmbeddingBlockRecord,
  LuminaStore,
} from '../store/index.ts';
import { PineconeSyncError } from './errors.ts';

interface RowLocation {
  block: number;
  row: number;
}

const BLOCKS_PER_READ = 4;
/** Blocks kept in memory while sending; outbox ids and stored rows both run in id order. */
const CACHED_BLOCKS = 8;

/**
 * Random access to the vectors of a finished embedding set and to the chunk and document each
 * belongs to. Only the row positions are held for the whole set; vectors are read block by block.
 */
export class SetReader {
  private readonly blocks = new Map<number, EmbeddingBlockRecord>();
  private readonly chunks = new Map<string, Map<number, ChunkRecord>>();
  private readonly documents = new Map<string, DocumentRecord | null>();

  private constructor(
    private readonly store: LuminaStore,
    readonly datasetId: string,
    readonly cursor: EmbedJobCursor,
    /** Chunk id → where its vector is stored. */
    readonly rows: ReadonlyMap<string, RowLocation>,
  ) {}

  get dims(): number {
    return this.cursor.dims;
  }

  /** Opens the finished set `setId`, refusing one that is missing or not finished. */
  static async open(
    store: LuminaStore,
    datasetId: string,
    setId: string,
    signal?: AbortSignal,
  ): Promise<SetReader> {
    const dataset = await store.getDataset(datasetId);
    if (!dataset) throw new PineconeSyncError(`Dataset ${datasetId} does not exist.`, 'data');
    const found = await getEmbedJob(store, datasetId, setId);
    if (!found) {
      throw new PineconeSyncError(
        `Dataset "${dataset.name}" has no embedding set ${setId}.`,
        'data',
      );
    }
    if (found.job.state !== 'done') {
      throw new PineconeSyncError(
        `Embedding set ${setId} of "${dataset.name}" is not finished (${found.job.state}): ` +
          'finish or resume it before syncing.',
        'data',
      );
    }
    const rows = new Map<string, RowLocation>();
    for await (const blocks of store.iterateEmbeddingBlocks(
      datasetId,
      setId,
      BLOCKS_PER_READ,
      signal,
    )) {
      for (const block of blocks) {
        block.chunkIds.slice(0, block.count).forEach((id, row) => {
          rows.set(id, { block: block.blockIndex, row });
        });
      }
    }
    return new SetReader(store, datasetId, found.cursor, rows);
  }

  private async block(index: number): Promise<EmbeddingBlockRecord> {
    let block = this.blocks.get(index);
    if (block) {
      this.blocks.delete(index);
    } else {
      block = await this.store.getEmbeddingBlock(this.datasetId, this.cursor.setId, index);
      if (!block) {
        throw new PineconeSyncError(
          `Embedding set ${this.cursor.setId} lost block ${index} while syncing.`,
          'data',
        );
      }
    }
    this.blocks.set(index, block);
    for (const oldest of this.blocks.keys()) {
      if (this.blocks.size <= CACHED_BLOCKS) break;
      this.blocks.delete(oldest);
    }
    return block;
  }

  /** The stored vector of a chunk as plain numbers, or undefined when the set has none. */
  async vector(chunkId: string): Promise<number[] | undefined> {
    const at = this.rows.get(chunkId);
    if (!at) return undefined;
    const block = await this.block(at.block);
    const start = at.row * block.dims;
    return Array.from(block.vectors.subarray(start, start + block.dims));
  }

  async chunk(docId: string, index: number): Promise<ChunkRecord | undefined> {
    let byIndex = this.chunks.get(docId);
    if (!byIndex) {
      const list = await this.store.listChunks(this.datasetId, docId);
      byIndex = new Map(list.map((chunk) => [chunk.index, chunk]));
      this.chunks.set(docId, byIndex);
      // A batch touches a few documents; older ones will not come back in id order.
      if (this.chunks.size > 64) this.chunks.delete(this.chunks.keys().next().value as string);
    }
    return byIndex.get(index);
  }

  async document(docId: string): Promise<DocumentRecord | undefined> {
    if (!this.documents.has(docId)) {
      this.documents.set(docId, (await this.store.getDocument(this.datasetId, docId)) ?? null);
      if (this.documents.size > 64) {
        this.documents.delete(this.documents.keys().next().value as string);
      }
    }
    return this.documents.get(docId) ?? undefined;
  }

  /** Forgets cached chunks and documents, so later reads see changes made since. */
  clearCaches(): void {
    this.chunks.clear();
    this.documents.clear();
  }

  /** Every chunk id of the dataset that has a vector in this set, in id order. */
  async *embeddedChunks(signal?: AbortSignal): AsyncGenerator<ChunkRecord[]> {
    for await (const batch of this.store.iterateChunks(this.datasetId, 1000, signal)) {
      throwIfAborted(signal);
      yield batch.filter((chunk) => this.rows.has(chunk.id));
    }
  }
}
