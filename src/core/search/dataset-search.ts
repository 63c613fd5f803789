import { docIdOfChunk } from '../store/index.ts';
import type { Bm25Params, RankedItem } from '../lexical/index.ts';
import type { ProgressCallback } from '../progress.ts';
import type { LuminaStore } from '../store/index.ts';
import { lookupChunks } from './chunk-lookup.ts';
import { filterMask, isEmptyFilter, matchingDocuments, type SearchFilter } from './filters.ts';
import { fuseRankings, fusionDepth, type FusionSettings, type SearchMode } from './hybrid.ts';
import type { LexicalSetCache } from './lexical-set.ts';
import type { SimilarityMetric } from './query.ts';
import type { ChunkHit } from './stored-search.ts';
import type { EmbeddingSetCache } from './stored-set.ts';
import type { BackendChoice, SearchBackend } from './vector-index.ts';

/** One query of the search view: the text, and its vector when the mode is semantic or hybrid. */
export interface DatasetQuery {
  text: string;
  vector?: Float32Array;
}

export interface DatasetSearchOptions {
  mode: SearchMode;
  k: number;
  /** The embedding set semantic and hybrid search score against. */
  setId?: string;
  where?: SearchFilter;
  metric?: SimilarityMetric;
  backend?: BackendChoice;
  fusion?: FusionSettings;
  bm25?: Partial<Bm25Params>;
  /** Chunk ids never returned (the chunk a "more like this" started from). */
  exclude?: readonly string[];
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** A hit with the rank each retriever gave it (1-based; null where it did not return it). */
export interface DatasetHit extends ChunkHit {
  semanticRank: number | null;
  lexicalRank: number | null;
}

export interface DatasetSearchResult {
  hits: DatasetHit[][];
  /** The vector backend that ran, when a vector search ran. */
  backend: SearchBackend | null;
  mode: SearchMode;
}

export interface SearchCaches {
  vectors: EmbeddingSetCache;
  lexical: LexicalSetCache;
}

/**
 * Semantic, lexical or hybrid top-k for one or more queries over a stored dataset, filtered by
 * document fields and joined with the chunks' text and documents. Semantic lists come from the
 * exact vector index in one batched pass; hybrid fuses `fusionDepth(k)` candidates of each.
 */
export async function searchDataset(
  store: LuminaStore,
  caches: SearchCaches,
  datasetId: string,
  queries: readonly DatasetQuery[],
  options: DatasetSearchOptions,
): Promise<DatasetSearchResult> {
  const { mode, k, signal, onProgress } = options;
  const exclude = new Set(options.exclude ?? []);
  const depth = mode === 'hybrid' ? fusionDepth(k) : k + exclude.size;

  let semantic: RankedItem[][] | null = null;
  let backend: SearchBackend | null = null;
  if (mode !== 'lexical') {
    if (!options.setId) throw new Error('Semantic search needs an embedding set.');
    const vectors = queries.map((query, i) => {
      if (!query.vector) throw new Error(`Query ${i + 1} has no vector for semantic search.`);
      return query.vector;
    });
    const index = await caches.vectors.index(datasetId, options.setId, { signal, onProgress });
    const mask = await filterMask(store, datasetId, index, options.where, signal);
    const result = await index.searchBatch(vectors, depth, {
      mask,
      ...(options.metric ? { metric: options.metric } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
      ...(signal ? { signal } : {}),
    });
    backend = result.backend;
    semantic = result.hits.map((list) =>
      list.map((hit) => ({ id: hit.chunkId, score: hit.score })),
    );
  }

  let lexical: RankedItem[][] | null = null;
  if (mode !== 'semantic') {
    const bm25 = await caches.lexical.index(datasetId, {
      ...(options.bm25 ? { params: options.bm25 } : {}),
      ...(signal ? { signal } : {}),
    });
    const allowed = isEmptyFilter(options.where)
      ? null
      : await matchingDocuments(store, datasetId, options.where ?? {}, signal);
    const filter = allowed ? (id: string) => allowed.has(docIdOfChunk(id)) : undefined;
    lexical = queries.map((query) =>
      bm25.search(query.text, depth, filter ? { filter } : {}).map((hit) => ({ ...hit })),
    );
  }

  const ranked = queries.map((_, q) => {
    const s = semantic?.[q] ?? [];
    const l = lexical?.[q] ?? [];
    const list =
      mode === 'semantic'
        ? s
        : mode === 'lexical'
          ? l
          : fuseRankings(s, l, depth, options.fusion ?? { method: 'rrf' });
    return list.filter((item) => !exclude.has(item.id)).slice(0, k);
  });

  const ids = [...new Set(ranked.flatMap((list) => list.map((item) => item.id)))];
  const joined = await lookupChunks(store, datasetId, ids);
  const rankOf = (list: readonly RankedItem[] | undefined, id: string): number | null => {
    const at = list?.findIndex((item) => item.id === id) ?? -1;
    return at < 0 ? null : at + 1;
  };
  const hits = ranked.map((list, q) =>
    list.map((item): DatasetHit => {
      const found = joined.get(item.id);
      return {
        chunkId: item.id,
        score: item.score,
        chunk: found?.chunk ?? null,
        document: found?.document ?? null,
        semanticRank: rankOf(semantic?.[q], item.id),
        lexicalRank: rankOf(lexical?.[q], item.id),
      };
    }),
  );
  return { hits, backend, mode };
}

/** The stored vector of one chunk, to search with it ("more like this"); null if not embedded. */
export async function storedChunkVector(
  caches: SearchCaches,
  datasetId: string,
  setId: string,
  chunkId: string,
  signal?: AbortSignal,
): Promise<Float32Array | null> {
  const index = await caches.vectors.index(datasetId, setId, signal ? { signal } : {});
  const row = index.chunkIds.indexOf(chunkId);
  return row < 0 ? null : index.row(row).slice();
}
