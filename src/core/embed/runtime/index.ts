export { DEFAULT_HUB_MODEL, EmbeddingModel, type LoadControls } from './embedding-model.ts';
export { ModelLoadError } from './errors.ts';
export {
  checkModelFiles,
  modelFolderFiles,
  onnxFileFor,
  REQUIRED_MODEL_FILES,
  type FileResolver,
} from './model-files.ts';
export { loadModelTokenCounter } from './model-tokenizer.ts';
export { normalizeRows, poolTokens, truncateRows, type TokenStates } from './pooling.ts';
export {
  buildTokenBatch,
  specialTokenLayout,
  truncateKeepingSpecials,
  type SpecialTokenLayout,
} from './token-batch.ts';
export { configureRuntime, type OrtWasmPaths, type RuntimeSetup } from './transformers-env.ts';
export type {
  EmbedDevice,
  EmbedDtype,
  EmbeddingModelInfo,
  EmbeddingOptions,
  HiddenStates,
  ModelSource,
  Pooling,
  TextKind,
  TokenBatch,
} from './types.ts';
