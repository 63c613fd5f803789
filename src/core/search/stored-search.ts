import type { ChunkRecord, LuminaStore } from '../store/index.ts';
import { lookupChunks, type HitDocument } from './chunk-lookup.ts';
import { filterMask, type SearchFilter } from './filters.ts';
import type { SimilarityMetric } from './query.ts';
import type { EmbeddingSetCache, LoadOptions } from './stored-set.ts';
import type { SearchHit } from './top-k.ts';
import type { BackendChoice, SearchBackend } from './vector-index.ts';

/** A search hit with its stored chunk and document; null where they were deleted since embedding. */
export interface ChunkHit extends SearchHit {
  chunk: ChunkRecord | null;
  document: HitDocument | null;
}

export interface StoredSearchOptions extends LoadOptions {
  metric?: SimilarityMetric;
  /** Keeps only chunks it accepts (a pure function of the chunk id). */
  filter?: (chunkId: string) => boolean;
  /** Keeps only chunks whose document matches (source, id, metadata fields). */
  where?: SearchFilter;
  /** Scoring path; `auto` (default) = WASM SIMD, else typed arrays. `webgpu` needs a GPU attached. */
  backend?: BackendChoice;
}

export interface StoredSearchResult {
  hits: ChunkHit[];
  /** The path that computed the scores. */
  backend: SearchBackend;
  /** Rows in the set. */
  rows: number;
}

/** Exact top-k over one stored embedding set, joined with the chunks' text and offsets. */
export async function searchStoredSet(
  store: LuminaStore,
  cache: EmbeddingSetCache,
  datasetId: string,
  setId: string,
  query: Float32Array,
  k: number,
  { metric, filter, where, backend, signal, onProgress }: StoredSearchOptions = {},
): Promise<StoredSearchResult> {
  const index = await cache.index(datasetId, setId, { signal, onProgress });
  const mask = await filterMask(store, datasetId, index, where, signal);
  const result = await index.search(query, k, { metric, filter, mask, backend, signal });
  const joined = await lookupChunks(
    store,
    datasetId,
    result.hits.map((hit) => hit.chunkId),
  );
  const hits = result.hits.map((hit) => {
    const found = joined.get(hit.chunkId);
    return { ...hit, chunk: found?.chunk ?? null, document: found?.document ?? null };
  });
  return { hits, backend: result.backend, rows: index.size };
}

/** `searchStoredSet` without the details: the joined hits only. */
export async function searchEmbeddingSet(
  store: LuminaStore,
  cache: EmbeddingSetCache,
  datasetId: string,
  setId: string,
  query: Float32Array,
  k: number,
  options: StoredSearchOptions = {},
): Promise<ChunkHit[]> {
  return (await searchStoredSet(store, cache, datasetId, setId, query, k, options)).hits;
}
