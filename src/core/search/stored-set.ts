import { throwIfAborted } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import {
  EMBEDDING_BLOCK_ROWS,
  type EmbeddingBlockRecord,
  type LuminaStore,
} from '../store/index.ts';
// The store has no "count blocks of a set" call; its key helper gives the set's key range.
import { prefixRange } from '../store/keys.ts';
import { VectorIndex } from './vector-index.ts';

interface CachedSet {
  blockCount: number;
  /** Null once the set lives in an index instead (it is read again if asked for). */
  blocks: Promise<EmbeddingBlockRecord[]> | null;
  index: Promise<VectorIndex> | null;
}

export interface LoadOptions {
  signal?: AbortSignal;
  /** Progress of reading the blocks from IndexedDB (only reported when they are not cached). */
  onProgress?: ProgressCallback;
}

/**
 * Keeps each (dataset, set) in memory after the first search, so later queries only scan: as its
 * embedding blocks (`blocks`) or as a `VectorIndex` (`index`, built straight from IndexedDB, the
 * blocks not kept beside it so a large set is held once). A set is read again when its number of
 * blocks changes (an embedding job added some); `invalidate` drops a set whose blocks were
 * rewritten in place.
 */
export class EmbeddingSetCache {
  private readonly sets = new Map<string, CachedSet>();

  constructor(private readonly store: LuminaStore) {}

  async blocks(
    datasetId: string,
    setId: string,
    { signal, onProgress }: LoadOptions = {},
  ): Promise<EmbeddingBlockRecord[]> {
    const entry = await this.entry(datasetId, setId, signal);
    if (entry.blocks) return entry.blocks;
    const blocks = this.load(datasetId, setId, entry.blockCount, signal, onProgress);
    entry.blocks = blocks;
    // A failed or cancelled load must not stay cached for the next caller.
    blocks.catch(() => {
      if (entry.blocks === blocks) entry.blocks = null;
    });
    return blocks;
  }

  /** The set as a search index, built on first use (progress counts rows read). */
  async index(
    datasetId: string,
    setId: string,
    { signal, onProgress }: LoadOptions = {},
  ): Promise<VectorIndex> {
    const entry = await this.entry(datasetId, setId, signal);
    if (entry.index) return entry.index;
    const source = entry.blocks ?? this.store.iterateEmbeddingBlocks(datasetId, setId, 8, signal);
    const index = VectorIndex.build(flatten(source), {
      signal,
      onProgress,
      expectedRows: entry.blockCount * EMBEDDING_BLOCK_ROWS,
    });
    entry.index = index;
    index.then(
      () => {
        if (entry.index === index) entry.blocks = null;
      },
      () => {
        if (entry.index === index) entry.index = null;
      },
    );
    return index;
  }

  private async entry(
    datasetId: string,
    setId: string,
    signal: AbortSignal | undefined,
  ): Promise<CachedSet> {
    throwIfAborted(signal);
    const key = JSON.stringify([datasetId, setId]);
    const blockCount = await this.store.db.count('embeddingBlocks', prefixRange(datasetId, setId));
    const cached = this.sets.get(key);
    if (cached && cached.blockCount === blockCount) return cached;
    void cached?.index?.then(
      (old) => old.destroy(),
      () => undefined,
    );
    const entry: CachedSet = { blockCount, blocks: null, index: null };
    this.sets.set(key, entry);
    return entry;
  }

  /** Forgets one set, every set of a dataset, or everything. */
  invalidate(datasetId?: string, setId?: string): void {
    for (const key of [...this.sets.keys()]) {
      const [d, s] = JSON.parse(key) as [string, string];
      if ((datasetId === undefined || d === datasetId) && (setId === undefined || s === setId)) {
        void this.sets.get(key)?.index?.then(
          (old) => old.destroy(),
          () => undefined,
        );
        this.sets.delete(key);
      }
    }
  }

  private async load(
    datasetId: string,
    setId: string,
    blockCount: number,
    signal: AbortSignal | undefined,
    onProgress: ProgressCallback | undefined,
  ): Promise<EmbeddingBlockRecord[]> {
    const progress = new ProgressReporter(onProgress);
    progress.start(`Loading embedding set ${setId}`);
    const blocks: EmbeddingBlockRecord[] = [];
    for await (const page of this.store.iterateEmbeddingBlocks(datasetId, setId, 8, signal)) {
      blocks.push(...page);
      progress.update(blocks.length, blockCount, `${blocks.length} of ${blockCount} blocks`);
    }
    progress.finish();
    return blocks;
  }
}

/** Blocks one by one, from a loaded list or from IndexedDB pages. */
async function* flatten(
  source: Promise<EmbeddingBlockRecord[]> | AsyncIterable<EmbeddingBlockRecord[]>,
): AsyncGenerator<EmbeddingBlockRecord> {
  if (source instanceof Promise) {
    yield* await source;
    return;
  }
  for await (const page of source) yield* page;
}
