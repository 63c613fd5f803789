export { epochOrder } from './order.ts';
export {
  prepareMlmData,
  type MlmData,
  type PrepareMlmDataControls,
  type TextSource,
} from './prepare.ts';
export { chunkDocuments, fingerprintSequences, type SequenceSet } from './sequences.ts';
export { MlmTokenizerError, mlmTokenizerFromJson, type MlmTokenizer } from './tokenizer.ts';
