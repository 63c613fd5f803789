import * as Comlink from 'comlink';
// The ORT build transformers.js runs, served from our own origin (see embed.worker.ts); only
// the cross-encoder needs it, and that is imported on its first load.
import ortWasmMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import '../src/lib/comlink-abort.ts';
import type { ModelSource } from '../src/core/embed/runtime/types.ts';
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
import type {
  CrossEncoderInfo,
  CrossEncoderLoadOptions,
  CrossEncoderReranker,
} from '../src/core/rag/cross-encoder.ts';
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

/** The cross-encoder Ask re-ranks with: loaded once, kept for every later question. */
let reranker: CrossEncoderReranker | null = null;
/** The one last unloaded, so a late `rerank` with it is told why it is gone, not "restarted". */
let unloadedReranker: string | null = null;

/**
 * The loaded cross-encoder, checked to be the one the page chose: a restarted worker has none,
 * and answering without it would silently drop the re-ranking the user asked for.
 */
function loadedReranker(expected: string): CrossEncoderReranker {
  if (!reranker && unloadedReranker === expected) {
    throw new Error(
      `The cross-encoder ${expected} was unloaded from the search worker (re-ranking was turned off); load it again to re-rank.`,
    );
  }
  if (!reranker) {
    throw new Error(
      `The cross-encoder ${expected} is not loaded in the search worker (it may have restarted); load it again.`,
    );
  }
  if (reranker.info.name !== expected) {
    throw new Error(
      `The search worker has ${reranker.info.name} loaded, not ${expected}; load ${expected} again.`,
    );
  }
  return reranker;
}

/** Cross-encoder load options as they cross the worker boundary. */
export type RerankerLoadOptions = Omit<CrossEncoderLoadOptions, 'signal' | 'onProgress'>;

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
  /** Re-rank with the loaded cross-encoder, which must be the one of this name. */
  rerankWith?: string;
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
    const { datasetName, rerankWith, ...rest } = options;
    const chosen = rerankWith === undefined ? undefined : loadedReranker(rerankWith);
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
      ...(chosen ? { reranker: chosen } : {}),
      ...(embedSentences ? { embedSentences } : {}),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
  },

  /**
   * Loads a cross-encoder (replacing the previous one) on exactly the device asked, for `ask`
   * and `rerank`. The ONNX runtime is imported here, so search alone never loads it.
   */
  async loadReranker(
    source: ModelSource,
    options: RerankerLoadOptions,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<CrossEncoderInfo> {
    const previous = reranker;
    reranker = null;
    unloadedReranker = null;
    await previous?.dispose();
    const [{ CrossEncoderReranker }, { configureRuntime }] = await Promise.all([
      import('../src/core/rag/cross-encoder.ts'),
      import('../src/core/embed/runtime/transformers-env.ts'),
    ]);
    configureRuntime({ wasmPaths: { wasm: ortWasm, mjs: ortWasmMjs } });
    reranker = await CrossEncoderReranker.load(source, {
      ...options,
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return reranker.info;
  },

  rerankerInfo(): CrossEncoderInfo | null {
    return reranker?.info ?? null;
  },

  /** Frees the cross-encoder's ONNX session: `ask` and `rerank` with it refuse until reloaded. */
  async unloadReranker(): Promise<void> {
    const previous = reranker;
    reranker = null;
    unloadedReranker = previous?.info.name ?? unloadedReranker;
    await previous?.dispose();
  },

  /**
   * Cross-encoder scores of (query, passage) pairs with the loaded model named `expected`: how
   * the generate worker's retrieval re-ranks with the model loaded here.
   */
  async rerank(
    expected: string,
    query: string,
    passages: string[],
    signal?: AbortSignal,
  ): Promise<number[]> {
    return loadedReranker(expected).rerank(query, passages, signal);
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
