export { BERT_ONNX_OPSET, exportBertOnnx, type BertOnnxOptions } from './bert-onnx.ts';
export {
  encodeOnnxModel,
  OnnxDataType,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-proto.ts';
export { ProtoWriter } from './protobuf-writer.ts';
