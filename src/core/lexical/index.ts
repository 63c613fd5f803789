export {
  analyze,
  createAnalyzer,
  defaultAnalyzerOptions,
  LUCENE_ENGLISH_STOPWORDS,
  type Analyzer,
  type AnalyzerOptions,
} from './analyzer.ts';
export {
  Bm25Index,
  defaultBm25Params,
  type Bm25BuildOptions,
  type Bm25Document,
  type Bm25Hit,
  type Bm25Params,
  type Bm25SearchOptions,
  type Bm25Snapshot,
} from './bm25.ts';
export {
  Bm25FieldsIndex,
  defaultBm25FieldsParams,
  type Bm25FieldsBuildOptions,
  type Bm25FieldsDocument,
  type Bm25FieldsParams,
  type Bm25FieldsSearchOptions,
  type Bm25FieldsSnapshot,
  type Bm25FieldStats,
} from './bm25-fields.ts';
export { decodeLuceneLength, encodeLuceneLength, luceneLength } from './lucene-norms.ts';
export type { Postings } from './postings.ts';
export {
  convexFusion,
  minMaxNormalize,
  reciprocalRankFusion,
  weightedScoreFusion,
  type RankedItem,
  type RrfOptions,
  type WeightedFusionOptions,
} from './fusion.ts';
