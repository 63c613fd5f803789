export {
  searchBlocks,
  searchBlocksBatch,
  type BlockSource,
  type ExactSearchOptions,
  type SimilarityMetric,
  type VectorBlock,
} from './exact.ts';
export { dotAt, dotRows, inverseRowNorms, norm } from './kernels.ts';
export { TopK, type SearchHit } from './top-k.ts';
export { lookupChunks, type HitDocument, type JoinedChunk } from './chunk-lookup.ts';
export { EmbeddingSetCache, type LoadOptions } from './stored-set.ts';
export { searchEmbeddingSet, type ChunkHit, type StoredSearchOptions } from './stored-search.ts';
