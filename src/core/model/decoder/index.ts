export {
  checkGpt2Config,
  gpt2Config,
  Gpt2ConfigError,
  gpt2ConfigToJson,
  gpt2HeadSize,
  type Gpt2Config,
} from './gpt2-config.ts';
export {
  countGpt2Parameters,
  gpt2TensorSpecs,
  initGpt2Weights,
  outputEmbedding,
  type Gpt2TensorSpec,
  type Gpt2Weights,
} from './gpt2-weights.ts';
export { cacheNames, exportGpt2Onnx, GPT2_ONNX_OPSET, type Gpt2OnnxOptions } from './gpt2-onnx.ts';
export { scriptContinuation } from './scripted-continuation.ts';
export {
  buildSeededDecoderFolder,
  decoderFolderFiles,
  DECODER_CHAT_TEMPLATE,
  DECODER_SPECIAL_TOKENS,
  type DecoderFolder,
  type DecoderFilesInput,
  type DecoderFolderInput,
} from './decoder-folder.ts';
export { uniqueTokenSegmentation } from './script-tokens.ts';
export {
  TransformersTextGenerator,
  type GeneratorDtype,
  type GeneratorInfo,
  type GeneratorLoadOptions,
} from './transformers-generator.ts';
