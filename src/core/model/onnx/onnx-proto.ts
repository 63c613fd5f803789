import { ProtoWriter } from './protobuf-writer.ts';

/**
 * The part of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto) Lumina writes,
 * with its field numbers. Plain data in, protobuf bytes out.
 */

/** `TensorProto.DataType` values. */
export const OnnxDataType = { FLOAT: 1, INT64: 7 } as const;
export type OnnxDataType = (typeof OnnxDataType)[keyof typeof OnnxDataType];

export interface OnnxTensor {
  name: string;
  dataType: OnnxDataType;
  dims: readonly number[];
  /** Little-endian element bytes (`raw_data`). */
  rawData: Uint8Array;
}

export type OnnxAttribute =
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'ints'; value: readonly number[] }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'tensor'; value: OnnxTensor };

export interface OnnxNode {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: readonly OnnxAttribute[];
  domain?: string;
}

/** A tensor-typed graph input or output; string dims are symbolic (`dim_param`). */
export interface OnnxValueInfo {
  name: string;
  elemType: OnnxDataType;
  shape: readonly (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opsetImports: readonly { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
  graph: OnnxGraph;
}

const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, INTS: 7 } as const;

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const out = new ProtoWriter();
  out.int(1, model.irVersion);
  out.string(2, model.producerName);
  out.string(3, model.producerVersion);
  if (model.docString) out.string(6, model.docString);
  out.message(7, encodeGraph(model.graph));
  for (const opset of model.opsetImports) {
    out.message(8, new ProtoWriter().string(1, opset.domain).int(2, opset.version));
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    out.message(14, new ProtoWriter().string(1, key).string(2, value));
  }
  return out.finish();
}

function encodeGraph(graph: OnnxGraph): ProtoWriter {
  const out = new ProtoWriter();
  for (const node of graph.nodes) out.message(1, encodeNode(node));
  out.string(2, graph.name);
  for (const tensor of graph.initializers) out.message(5, encodeTensor(tensor));
  for (const input of graph.inputs) out.message(11, encodeValueInfo(input));
  for (const output of graph.outputs) out.message(12, encodeValueInfo(output));
  return out;
}

function encodeNode(node: OnnxNode): ProtoWriter {
  const out = new ProtoWriter();
  for (const input of node.inputs) out.string(1, input);
  for (const output of node.outputs) out.string(2, output);
  out.string(3, node.name);
  out.string(4, node.opType);
  for (const attribute of node.attributes ?? []) out.message(5, encodeAttribute(attribute));
  if (node.domain) out.string(7, node.domain);
  return out;
}

function encodeAttribute(attribute: OnnxAttribute): ProtoWriter {
  const out = new ProtoWriter().string(1, attribute.name);
  switch (attribute.type) {
    case 'float':
      return out.float(2, attribute.value).int(20, AttributeType.FLOAT);
    case 'int':
      return out.int(3, attribute.value).int(20, AttributeType.INT);
    case 'string':
      return out.string(4, attribute.value).int(20, AttributeType.STRING);
    case 'tensor':
      return out.message(5, encodeTensor(attribute.value)).int(20, AttributeType.TENSOR);
    case 'ints':
      // Repeated int64 in proto2 is unpacked by default; parsers accept both, write what protoc does.
      for (const value of attribute.value) out.int(8, value);
      return out.int(20, AttributeType.INTS);
  }
}

function encodeTensor(tensor: OnnxTensor): ProtoWriter {
  const out = new ProtoWriter();
  for (const dim of tensor.dims) out.int(1, dim);
  out.int(2, tensor.dataType);
  out.string(8, tensor.name);
  out.bytes(9, tensor.rawData);
  return out;
}

function encodeValueInfo(info: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.shape) {
    const dimension = new ProtoWriter();
    if (typeof dim === 'number') dimension.int(1, dim);
    else dimension.string(2, dim);
    shape.message(1, dimension);
  }
  const tensorType = new ProtoWriter().int(1, info.elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, info.name).message(2, type);
}
