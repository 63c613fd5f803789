export {
  averagePrecisionAt,
  evaluateRun,
  ndcgAt,
  rankRun,
  trecOrder,
  recallAt,
  reciprocalRankAt,
  type Qrels,
  type RetrievalMetrics,
  type Run,
  type ScoredDocument,
} from './metrics.ts';
export { averageRanks, pearson, spearman } from './correlation.ts';
export {
  beirDocumentText,
  BeirFormatError,
  loadBeir,
  parseBeirCorpus,
  parseBeirQrels,
  parseBeirQueries,
  type BeirDataset,
  type BeirDocument,
  type BeirLoadOptions,
  type LineSource,
  type OpenLines,
} from './beir.ts';
export { parseSts, type StsPair, type StsParseResult } from './sts.ts';
export { formatTrecRun, type TrecRunOptions } from './trec-run.ts';
