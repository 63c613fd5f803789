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
export {
  searchEmbeddingSet,
  searchStoredSet,
  type ChunkHit,
  type StoredSearchOptions,
  type StoredSearchResult,
} from './stored-search.ts';
export {
  VectorIndex,
  type BackendChoice,
  type BuildOptions,
  type GpuScorer,
  type IndexSearchOptions,
  type IndexSearchResult,
  type SearchBackend,
} from './vector-index.ts';
export type { RowMask } from './scan.ts';
export {
  isEmptyFilter,
  documentMatches,
  filterKey,
  filterMask,
  matchingDocuments,
  rowMaskForDocuments,
  type MetadataScalar,
  type SearchFilter,
} from './filters.ts';
export {
  measureRecall,
  QuantizedIndex,
  recallAtK,
  type QuantizedBuildOptions,
  type QuantizedSearchOptions,
  type QuantizedSearchResult,
} from './quantized.ts';
export { wasmSimdAvailable } from './wasm/runtime.ts';
export { attachWebGpu, type WebGpuInfo, type WebGpuOptions } from './webgpu.ts';
export { LexicalSetCache, type LexicalLoadOptions } from './lexical-set.ts';
export {
  fuseRankings,
  fusionDepth,
  type FusionMethod,
  type FusionSettings,
  type SearchMode,
} from './hybrid.ts';
export {
  searchDataset,
  storedChunkVector,
  type DatasetHit,
  type DatasetQuery,
  type DatasetSearchOptions,
  type DatasetSearchResult,
  type SearchCaches,
} from './dataset-search.ts';
export {
  batchResultsToCsv,
  batchResultsToJsonl,
  parseBatchQueries,
  type BatchQuery,
  type BatchQueryFile,
  type BatchResultRow,
} from './batch-queries.ts';
export { scoreQa, type QaCase, type QaScores } from './qa-eval.ts';
