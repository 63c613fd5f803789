export { coverageReport, type CoverageReport } from './coverage.ts';
export { createEncoder, type Encoding, type TrainedEncoder } from './encoder.ts';
export {
  companionFiles,
  DEFAULT_SPECIALS,
  serializeTokenizerJson,
  tokenizerFileTexts,
  type TokenizerFileName,
  type TokenizerFiles,
} from './tokenizer-files.ts';
export {
  trainTokenizer,
  type TrainControls,
  type TrainedTokenizer,
  type TrainStats,
} from './trainer.ts';
export type { TokenizerTrainOptions, TokenizerType, TrainedTokenizerJson } from './types.ts';
export type { TextSource } from './word-counts.ts';
export {
  datasetTexts,
  runTokenizerJob,
  type JobControls,
  type TokenizerJobRequest,
  type TokenizerJobResult,
} from './job.ts';
