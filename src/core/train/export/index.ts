export { extractInferenceModel, type InferenceWeights } from './inference-weights.ts';
export { modelCard, type ModelCardInput, type TrainingSummary } from './model-card.ts';
export { exportedModelZip, saveExportedModel } from './save.ts';
export {
  EXPORTED_TOKENIZER_FILES,
  TrainedExportError,
  tokenizerFilesFor,
} from './tokenizer-files.ts';
export {
  exportTrainedModel,
  type ExportPooling,
  type TrainedModelExportInput,
} from './trained-model.ts';
