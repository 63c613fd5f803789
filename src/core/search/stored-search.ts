import type { ChunkRecord, LuminaStore } from '../store/index.ts';
import { lookupChunks, type HitDocument } from './chunk-lookup.ts';
import { searchBlocks, type SimilarityMetric } from './exact.ts';
import type { EmbeddingSetCache, LoadOptions } from './stored-set.ts';
import type { SearchHit } from './top-k.ts';

/** A search hit with its stored chunk and document; null where they were deleted since embedding. */
export interface ChunkHit extends SearchHit {
  chunk: ChunkRecord | null;
  document: HitDocument | null;
}

export interface StoredSearchOptions extends LoadOptions {
  metric?: SimilarityMetric;
  filter?: (chunkId: string) => boolean;
}

/** Exact top-k over one stored embedding set, joined with the chunks' text and offsets. */
export async function searchEmbeddingSet(
  store: LuminaStore,
  cache: EmbeddingSetCache,
  datasetId: string,
  setId: string,
  query: Float32Array,
  k: number,
  { metric, filter, signal, onProgress }: StoredSearchOptions = {},
): Promise<ChunkHit[]> {
  const blocks = await cache.blocks(datasetId, setId, { signal, onProgress });
  const hits = await searchBlocks(blocks, query, k, { metric, filter, signal });
  const joined = await lookupChunks(
    store,
    datasetId,
    hits.map((hit) => hit.chunkId),
  );
  return hits.map((hit) => {
    const found = joined.get(hit.chunkId);
    return { ...hit, chunk: found?.chunk ?? null, document: found?.document ?? null };
  });
}
