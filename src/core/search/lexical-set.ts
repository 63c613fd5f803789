import { throwIfAborted } from '../abort.ts';
import { Bm25Index, type Bm25Params } from '../lexical/index.ts';
import type { ProgressCallback } from '../progress.ts';
import { ProgressReporter } from '../progress.ts';
import type { LuminaStore } from '../store/index.ts';

export interface LexicalLoadOptions {
  params?: Partial<Bm25Params>;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

interface CachedLexical {
  /** The dataset's counters and change time when built: changed chunks build it again. */
  version: string;
  index: Promise<Bm25Index>;
}

/**
 * BM25 indexes over the chunks of stored datasets, built on first use and kept for later
 * queries. The key includes k1 and b, so changing them builds a fresh index.
 */
export class LexicalSetCache {
  private readonly cached = new Map<string, CachedLexical>();

  constructor(private readonly store: LuminaStore) {}

  async index(datasetId: string, options: LexicalLoadOptions = {}): Promise<Bm25Index> {
    const dataset = await this.store.getDataset(datasetId);
    if (!dataset) throw new Error(`No dataset ${datasetId}.`);
    const version = JSON.stringify([
      dataset.chunkCount,
      dataset.updatedAt,
      dataset.chunking ?? null,
    ]);
    const key = JSON.stringify([datasetId, options.params?.k1 ?? null, options.params?.b ?? null]);
    const found = this.cached.get(key);
    if (found && found.version === version) return found.index;
    const index = this.build(datasetId, dataset.chunkCount, options);
    this.cached.set(key, { version, index });
    // A failed or aborted build must not stay cached.
    index.catch(() => {
      if (this.cached.get(key)?.index === index) this.cached.delete(key);
    });
    return index;
  }

  invalidate(datasetId?: string): void {
    for (const key of [...this.cached.keys()]) {
      if (datasetId === undefined || (JSON.parse(key) as unknown[])[0] === datasetId)
        this.cached.delete(key);
    }
  }

  private async build(
    datasetId: string,
    expected: number,
    { params, signal, onProgress }: LexicalLoadOptions,
  ): Promise<Bm25Index> {
    const reporter = new ProgressReporter(onProgress);
    reporter.start('Reading chunks for keyword search');
    const docs: { id: string; text: string }[] = [];
    for await (const page of this.store.iterateChunks(datasetId, 1000, signal)) {
      throwIfAborted(signal);
      for (const chunk of page) docs.push({ id: chunk.id, text: chunk.text });
      reporter.update(docs.length * 0.5, Math.max(expected, docs.length), 'reading chunks');
    }
    const index = await Bm25Index.build(docs, {
      ...params,
      ...(signal ? { signal } : {}),
      onProgress: (event) => {
        if (event.status === 'progress') reporter.update(0.5 + event.fraction * 0.5, 1, 'indexing');
      },
    });
    reporter.finish(`${docs.length} chunks indexed`);
    return index;
  }
}
