import { throwIfAborted } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { EmbeddingBlockRecord, LuminaStore } from '../store/index.ts';
// The store has no "count blocks of a set" call; its key helper gives the set's key range.
import { prefixRange } from '../store/keys.ts';

interface CachedSet {
  blockCount: number;
  blocks: Promise<EmbeddingBlockRecord[]>;
}

export interface LoadOptions {
  signal?: AbortSignal;
  /** Progress of reading the blocks from IndexedDB (only reported when they are not cached). */
  onProgress?: ProgressCallback;
}

/**
 * Keeps the embedding blocks of each (dataset, set) in memory after the first search, so later
 * queries only scan. A set is read again when its number of blocks changes (an embedding job
 * added some); `invalidate` drops a set whose blocks were rewritten in place.
 */
export class EmbeddingSetCache {
  private readonly sets = new Map<string, CachedSet>();

  constructor(private readonly store: LuminaStore) {}

  async blocks(
    datasetId: string,
    setId: string,
    { signal, onProgress }: LoadOptions = {},
  ): Promise<EmbeddingBlockRecord[]> {
    throwIfAborted(signal);
    const key = JSON.stringify([datasetId, setId]);
    const blockCount = await this.store.db.count('embeddingBlocks', prefixRange(datasetId, setId));
    const cached = this.sets.get(key);
    if (cached && cached.blockCount === blockCount) return cached.blocks;
    const blocks = this.load(datasetId, setId, blockCount, signal, onProgress);
    this.sets.set(key, { blockCount, blocks });
    // A failed or cancelled load must not stay cached for the next caller.
    blocks.catch(() => {
      if (this.sets.get(key)?.blocks === blocks) this.sets.delete(key);
    });
    return blocks;
  }

  /** Forgets one set, every set of a dataset, or everything. */
  invalidate(datasetId?: string, setId?: string): void {
    for (const key of [...this.sets.keys()]) {
      const [d, s] = JSON.parse(key) as [string, string];
      if ((datasetId === undefined || d === datasetId) && (setId === undefined || s === setId)) {
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
