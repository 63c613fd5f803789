export { epochOrder } from './order.ts';
export {
  prepareMlmData,
  prepareTrainingData,
  type MlmData,
  type PrepareMlmDataControls,
  type TrainingDataPacking,
  type TextSource,
} from './prepare.ts';
export { chunkDocuments, fingerprintSequences, type SequenceSet } from './sequences.ts';
export { MlmTokenizerError, mlmTokenizerFromJson, type MlmTokenizer } from './tokenizer.ts';
