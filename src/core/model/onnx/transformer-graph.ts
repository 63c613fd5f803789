import type { Float32Tensor } from '../init.ts';
import type { GraphBuilder } from './graph-builder.ts';
import type { OnnxAttribute, OnnxGraph, OnnxModel } from './onnx-proto.ts';

/** IR version 8 is what ONNX 1.12–1.13 write for opset 17; every current runtime reads it. */
const IR_VERSION = 8;
/** HF adds finfo(float32).min to masked attention scores; the same constant keeps parity. */
export const MASKED_SCORE = -3.4028234663852886e38;

/** What a caller may say about the model a transformer export writes. */
export interface TransformerOnnxHeader {
  producerVersion?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

/** The `perm` attribute of a Transpose node. */
export function perm(values: number[]): OnnxAttribute[] {
  return [{ name: 'perm', type: 'ints', value: values }];
}

/** LayerNormalization over the last axis with `<prefix>.weight/bias` from `weight`. */
export function layerNormBuilder(
  g: GraphBuilder,
  weight: (name: string) => string,
  epsilon: number,
): (scope: string, prefix: string, input: string, output?: string) => string {
  return (scope, prefix, input, output) =>
    g.op(
      'LayerNormalization',
      scope,
      [input, weight(`${prefix}.weight`), weight(`${prefix}.bias`)],
      [
        { name: 'axis', type: 'int', value: -1 },
        { name: 'epsilon', type: 'float', value: epsilon },
      ],
      output,
    );
}

/** What every attention block of a model shares. */
export interface AttentionShared {
  /** Added to the scores: 0 where a key may be seen, {@link MASKED_SCORE} elsewhere. */
  maskBias: string;
  /** √head_size, the scores' divisor. */
  scale: string;
  /** Reshape target [0, 0, hidden] that merges the heads back. */
  mergeHeads: string;
}

/** One block's heads, each [batch, heads, seq, head_size]; keyT has seq last. */
export interface AttentionHeads {
  query: string;
  keyT: string;
  value: string;
}

/** Scaled dot-product attention: softmax(q·kᵀ/√d + mask)·v, heads merged to [batch, seq, hidden]. */
export function attentionContext(
  g: GraphBuilder,
  scope: string,
  shared: AttentionShared,
  heads: AttentionHeads,
): string {
  const scores = g.op('Div', scope, [
    g.op('MatMul', scope, [heads.query, heads.keyT]),
    shared.scale,
  ]);
  const probs = g.op(
    'Softmax',
    scope,
    [g.op('Add', scope, [scores, shared.maskBias])],
    [{ name: 'axis', type: 'int', value: -1 }],
  );
  return g.op('Reshape', scope, [
    g.op('Transpose', scope, [g.op('MatMul', scope, [probs, heads.value])], perm([0, 2, 1, 3])),
    shared.mergeHeads,
  ]);
}

/** A tensor's expected name and shape. */
export interface TensorShapeSpec {
  name: string;
  shape: readonly number[];
}

/** Every spec'd tensor must be present with its shape (and float32 when `requireF32`). */
export function checkTensorShapes(
  specs: readonly TensorShapeSpec[],
  weights: ReadonlyMap<string, Float32Tensor>,
  requireF32: boolean,
): void {
  for (const spec of specs) {
    const tensor = weights.get(spec.name);
    if (!tensor) throw new Error(`Missing weight "${spec.name}"`);
    if (requireF32 && tensor.dtype !== 'F32')
      throw new Error(`Weight "${spec.name}" must be F32, is ${tensor.dtype}`);
    if (tensor.shape.join() !== spec.shape.join()) {
      throw new Error(
        `Weight "${spec.name}" has shape [${tensor.shape.join(', ')}], ` +
          `config needs [${spec.shape.join(', ')}]`,
      );
    }
  }
}

/** A Lumina-produced model of `graph` at the given standard-domain opset. */
export function transformerOnnxModel(
  opset: number,
  header: TransformerOnnxHeader,
  graph: OnnxGraph,
): OnnxModel {
  return {
    irVersion: IR_VERSION,
    opsetImports: [{ domain: '', version: opset }],
    producerName: 'lumina',
    producerVersion: header.producerVersion ?? '0',
    ...(header.docString ? { docString: header.docString } : {}),
    ...(header.metadata ? { metadata: header.metadata } : {}),
    graph,
  };
}
