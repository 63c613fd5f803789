import * as Comlink from 'comlink';
import '../src/lib/comlink-abort.ts';
import type { ProgressCallback } from '../src/core/progress.ts';
import {
  attachWebGpu,
  EmbeddingSetCache,
  LexicalSetCache,
  searchDataset,
  searchStoredSet,
  storedChunkVector,
  type DatasetQuery,
  type DatasetSearchOptions,
  type DatasetSearchResult,
  type SearchCaches,
  type BackendChoice,
  type ChunkHit,
  type SearchFilter,
  type SimilarityMetric,
  type StoredSearchResult,
} from '../src/core/search/index.ts';
import { openStore, type DocumentRecord, type LuminaStore } from '../src/core/store/index.ts';
import {
  askExtractive,
  StoreRagSource,
  type EmbedSentences,
  type ExtractiveAskOptions,
  type RagAnswer,
} from '../src/core/rag/index.ts';
import { whitespaceCounter } from '../src/core/tokenizer/index.ts';

let storePromise: Promise<LuminaStore> | null = null;
const store = (): Promise<LuminaStore> => (storePromise ??= openStore());

let cachePromise: Promise<EmbeddingSetCache> | null = null;
const cache = (): Promise<EmbeddingSetCache> =>
  (cachePromise ??= store().then((s) => new EmbeddingSetCache(s)));

let lexicalPromise: Promise<LexicalSetCache> | null = null;
const lexical = (): Promise<LexicalSetCache> =>
  (lexicalPromise ??= store().then((s) => new LexicalSetCache(s)));

async function caches(): Promise<SearchCaches> {
  return { vectors: await cache(), lexical: await lexical() };
}

/**
 * Ask-view options. The context budget counts whitespace words: the extractive answerer reads
 * no prompt, so no generator's tokenizer applies yet.
 */
export type AskOptions = Omit<
  ExtractiveAskOptions,
  'signal' | 'onProgress' | 'counter' | 'embedSentences' | 'reranker'
> & {
  /** Shown in answers ("I could not find this in <name>."). */
  datasetName: string;
};

/** Search-view options; the signal and progress callback travel as their own arguments. */
export type DatasetQueryOptions = Omit<DatasetSearchOptions, 'signal' | 'onProgress'>;

export interface IndexSearchOptions {
  metric?: SimilarityMetric;
  /** `auto` (default): WASM SIMD, else typed arrays; `webgpu` uploads the set to the GPU once. */
  backend?: BackendChoice;
  /** Only chunks whose document matches (source, doc id, metadata fields). */
  where?: SearchFilter;
}

async function searchDetailed(
  datasetId: string,
  setId: string,
  query: Float32Array,
  k: number,
  signal: AbortSignal | undefined,
  { metric, backend, where }: IndexSearchOptions,
  onProgress: ProgressCallback | undefined,
): Promise<StoredSearchResult> {
  const sets = await cache();
  if (backend === 'webgpu') {
    const index = await sets.index(datasetId, setId, { signal, onProgress });
    if (!index.hasGpu) await attachWebGpu(index);
  }
  return searchStoredSet(await store(), sets, datasetId, setId, query, k, {
    metric,
    backend,
    where,
    signal,
    onProgress,
  });
}

const api = {
  /**
   * Exact top-k chunks of one embedding set for `query`, best first, with their chunk text,
   * offsets and document. The set is read once into a search index and kept for later queries.
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
    const result = await searchDetailed(datasetId, setId, query, k, signal, options, onProgress);
    return result.hits;
  },

  /** Like `search`, and says which backend scored it, over how many rows, in how long. */
  async searchDetailed(
    datasetId: string,
    setId: string,
    query: Float32Array,
    k: number,
    signal?: AbortSignal,
    options: IndexSearchOptions = {},
    onProgress?: ProgressCallback,
  ): Promise<StoredSearchResult & { ms: number }> {
    const start = performance.now();
    const result = await searchDetailed(datasetId, setId, query, k, signal, options, onProgress);
    return { ...result, ms: performance.now() - start };
  },

  /**
   * Semantic, lexical or hybrid top-k of one or more queries (a batch search) over a dataset,
   * with filters; each hit carries the rank each retriever gave it.
   */
  async query(
    datasetId: string,
    queries: DatasetQuery[],
    options: DatasetQueryOptions,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<DatasetSearchResult & { ms: number }> {
    const start = performance.now();
    if (options.backend === 'webgpu' && options.setId) {
      const index = await (await cache()).index(datasetId, options.setId, { signal, onProgress });
      if (!index.hasGpu) await attachWebGpu(index);
    }
    const result = await searchDataset(await store(), await caches(), datasetId, queries, {
      ...options,
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return { ...result, ms: performance.now() - start };
  },

  /** A chunk's stored vector, to search with it ("more like this"); null if it has none. */
  async chunkVector(
    datasetId: string,
    setId: string,
    chunkId: string,
    signal?: AbortSignal,
  ): Promise<Float32Array | null> {
    return storedChunkVector(await caches(), datasetId, setId, chunkId, signal);
  },

  /**
   * An extractive answer with citations over a stored dataset, through the search caches.
   * Dense and hybrid need `setId` and the question's vector (embedded page-side with the set's
   * model, as search does); `embedSentences` (a comlink proxy) lets sentences score by cosine too.
   */
  async ask(
    datasetId: string,
    setId: string | undefined,
    question: string,
    options: AskOptions,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
    embedSentences?: EmbedSentences,
  ): Promise<RagAnswer> {
    const { datasetName, ...rest } = options;
    const dims =
      setId === undefined
        ? undefined
        : (await (await cache()).index(datasetId, setId, signal ? { signal } : {})).dims;
    const source = new StoreRagSource(await store(), await caches(), {
      datasetId,
      name: datasetName,
      ...(setId !== undefined && dims !== undefined ? { setId, dims } : {}),
    });
    return askExtractive(source, question, {
      ...rest,
      counter: whitespaceCounter,
      ...(embedSentences ? { embedSentences } : {}),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
  },

  /** The whole document of a hit, to show the chunk highlighted in it. */
  async document(datasetId: string, docId: string): Promise<DocumentRecord | undefined> {
    return (await store()).getDocument(datasetId, docId);
  },

  /** Drops cached blocks (all, a dataset's, or one set's) after they were rewritten in place. */
  async invalidate(datasetId?: string, setId?: string): Promise<void> {
    (await cache()).invalidate(datasetId, setId);
    if (setId === undefined) (await lexical()).invalidate(datasetId);
  },
};

export type IndexApi = typeof api;
Comlink.expose(api);
