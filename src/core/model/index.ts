export {
  BertConfigError,
  bertConfigToJson,
  headSize,
  parseBertConfig,
  type BertConfig,
} from './bert-config.ts';
export {
  bertTensorSpecs,
  countParameters,
  type BertTensorOptions,
  type TensorInit,
  type TensorSpec,
} from './bert-tensors.ts';
export {
  initBertWeights,
  type BertWeights,
  type Float32Tensor,
  type InitBertOptions,
} from './init.ts';
export {
  decodeSafetensors,
  elementCount,
  encodeSafetensors,
  halfToFloat,
  SafetensorsError,
  tensorToFloat32,
  type SafetensorsDtype,
  type SafetensorsFile,
  type SafetensorsTensor,
} from './safetensors.ts';
export { portableLog, SeededRandom } from './seeded-random.ts';
export {
  buildSeededModelFolder,
  TOKENIZER_FILES,
  type ModelFolder,
  type SeededModelFolderInput,
} from './seeded-model-folder.ts';
export {
  sentenceTransformersFiles,
  type SentenceTransformersOptions,
} from './sentence-transformers.ts';
export { BERT_ONNX_OPSET, exportBertOnnx, type BertOnnxOptions } from './onnx/index.ts';
