import * as Comlink from 'comlink';
import '../src/lib/comlink-abort.ts';
import type { ProgressCallback } from '../src/core/progress.ts';
import {
  EmbeddingSetCache,
  searchEmbeddingSet,
  type ChunkHit,
  type SimilarityMetric,
} from '../src/core/search/index.ts';
import { openStore, type DocumentRecord, type LuminaStore } from '../src/core/store/index.ts';

let storePromise: Promise<LuminaStore> | null = null;
const store = (): Promise<LuminaStore> => (storePromise ??= openStore());

let cachePromise: Promise<EmbeddingSetCache> | null = null;
const cache = (): Promise<EmbeddingSetCache> =>
  (cachePromise ??= store().then((s) => new EmbeddingSetCache(s)));

export interface IndexSearchOptions {
  metric?: SimilarityMetric;
}

const api = {
  /**
   * Exact top-k chunks of one embedding set for `query`, best first, with their chunk text,
   * offsets and document. The set's blocks are read once and kept for later queries.
   */
  async search(
    datasetId: string,
    setId: string,
    query: Float32Array,
    k: number,
    signal?: AbortSignal,
    options: IndexSearchOptions = {},
    onProgress?: ProgressCallback,
  ): Promise<ChunkHit[]> {
    return searchEmbeddingSet(await store(), await cache(), datasetId, setId, query, k, {
      ...options,
      signal,
      onProgress,
    });
  },

  /** The whole document of a hit, to show the chunk highlighted in it. */
  async document(datasetId: string, docId: string): Promise<DocumentRecord | undefined> {
    return (await store()).getDocument(datasetId, docId);
  },

  /** Drops cached blocks (all, a dataset's, or one set's) after they were rewritten in place. */
  async invalidate(datasetId?: string, setId?: string): Promise<void> {
    (await cache()).invalidate(datasetId, setId);
  },
};

export type IndexApi = typeof api;
Comlink.expose(api);
