import type { Float32Tensor } from '../init.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { encodeOnnxModel, OnnxDataType, type OnnxValueInfo } from '../onnx/onnx-proto.ts';
import * as transformer from '../onnx/transformer-graph.ts';
import { gpt2HeadSize, type Gpt2Config } from './gpt2-config.ts';
import { gpt2TensorSpecs, type Gpt2Weights } from './gpt2-weights.ts';

/** Opset 17: LayerNormalization and LessOrEqual are standard ops there. */
export const GPT2_ONNX_OPSET = 17;
/** `TensorProto.BOOL`, the type Cast produces for the mask. */
const BOOL = 9;

export interface Gpt2OnnxOptions extends transformer.TransformerOnnxHeader {
  /**
   * Adds `past_key_values.N.key/value` inputs and `present.N.key/value` outputs, the layout
   * transformers.js feeds back between generation steps. Without it every step reruns the
   * whole sequence (same logits, slower).
   */
  kvCache?: boolean;
}

/** Graph input/output names for one layer's cache. */
export function cacheNames(layer: number): {
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
} {
  return {
    pastKey: `past_key_values.${layer}.key`,
    pastValue: `past_key_values.${layer}.value`,
    presentKey: `present.${layer}.key`,
    presentValue: `present.${layer}.value`,
  };
}

/**
 * GPT-2 (causal LM head) as ONNX with the I/O of Optimum's text-generation exports that
 * transformers.js runs: `input_ids`, `attention_mask` (over past + new tokens), `position_ids`
 * (int64) and, with the cache, `past_key_values.N.*` [batch, heads, past, head_size] → `logits`
 * [batch, seq, vocab] and `present.N.*`. Padding and causality are one boolean mask so a fully
 * masked (left-padding) row adds the float32 minimum once and never overflows to NaN.
 */
export function exportGpt2Onnx(
  config: Gpt2Config,
  weights: Gpt2Weights,
  options: Gpt2OnnxOptions = {},
): Uint8Array {
  transformer.checkTensorShapes(gpt2TensorSpecs(config), weights, false);
  const kvCache = options.kvCache ?? true;
  const g = new GraphBuilder();
  const added = new Set<string>();
  // The tied embedding is read twice (input lookup and output head): add it once.
  const weight = (name: string): string => {
    if (added.has(name)) return name;
    added.add(name);
    const tensor = weights.get(name) as Float32Tensor;
    return g.float32(name, tensor.shape, tensor.data);
  };
  const conv1d = (scope: string, prefix: string, input: string): string =>
    g.op('Add', scope, [
      g.op('MatMul', scope, [input, weight(`${prefix}.weight`)]),
      weight(`${prefix}.bias`),
    ]);
  const layerNorm = transformer.layerNormBuilder(g, weight, config.layerNormEpsilon);
  const shapeAt = (scope: string, input: string, axis: number): string =>
    g.op(
      'Shape',
      scope,
      [input],
      [
        { name: 'start', type: 'int', value: axis },
        { name: 'end', type: 'int', value: axis + 1 },
      ],
    );
  const scalarOf = (scope: string, oneElement: string): string =>
    g.op('Squeeze', scope, [oneElement, g.int64s([0])]);

  let hidden = g.op('Add', '/embeddings', [
    g.op('Gather', '/embeddings/wte', [weight('transformer.wte.weight'), 'input_ids']),
    g.op('Gather', '/embeddings/wpe', [weight('transformer.wpe.weight'), 'position_ids']),
  ]);

  // Query i (absolute position past + i) may see key j when j ≤ past + i and j is not padding.
  const total = shapeAt('/mask', 'attention_mask', 1);
  const past = g.op('Sub', '/mask', [total, shapeAt('/mask', 'input_ids', 1)]);
  const one = scalarOf('/mask', g.int64s([1]));
  const totalScalar = scalarOf('/mask', total);
  const queryPositions = g.op('Range', '/mask', [scalarOf('/mask', past), totalScalar, one]);
  const keyPositions = g.op('Range', '/mask', [scalarOf('/mask', g.int64s([0])), totalScalar, one]);
  const causal = g.op('LessOrEqual', '/mask', [
    g.op('Unsqueeze', '/mask', [keyPositions, g.int64s([0])]),
    g.op('Unsqueeze', '/mask', [queryPositions, g.int64s([1])]),
  ]);
  const notPadding = g.op(
    'Cast',
    '/mask',
    [g.op('Unsqueeze', '/mask', ['attention_mask', g.int64s([1, 2])])],
    [{ name: 'to', type: 'int', value: BOOL }],
  );
  const maskBias = g.op('Where', '/mask', [
    g.op('And', '/mask', [causal, notPadding]),
    g.scalar(0),
    g.scalar(transformer.MASKED_SCORE),
  ]);

  const d = config.nEmbd;
  const heads = config.nHead;
  const size = gpt2HeadSize(config);
  const splitHeads = g.int64s([0, 0, heads, size]);
  const mergeHeads = g.int64s([0, 0, d]);
  const scale = g.scalar(Math.sqrt(size));
  const lastAxis = g.int64s([2]);
  const geluScale = g.scalar(Math.sqrt(2 / Math.PI));

  const attention = { maskBias, scale, mergeHeads };
  for (let i = 0; i < config.nLayer; i++) {
    const prefix = `transformer.h.${i}`;
    const attn = `/h.${i}/attn`;
    const qkv = conv1d(
      attn,
      `${prefix}.attn.c_attn`,
      layerNorm(`/h.${i}/ln_1`, `${prefix}.ln_1`, hidden),
    );
    const headsOf = (part: number): string =>
      g.op(
        'Transpose',
        attn,
        [
          g.op('Reshape', attn, [
            g.op('Slice', attn, [qkv, g.int64s([part * d]), g.int64s([(part + 1) * d]), lastAxis]),
            splitHeads,
          ]),
        ],
        transformer.perm([0, 2, 1, 3]),
      );
    const names = cacheNames(i);
    let key = headsOf(1);
    let value = headsOf(2);
    if (kvCache) {
      const axis = [{ name: 'axis', type: 'int' as const, value: 2 }];
      key = g.op('Concat', attn, [names.pastKey, key], axis, names.presentKey);
      value = g.op('Concat', attn, [names.pastValue, value], axis, names.presentValue);
    }
    // Query before the key's transpose keeps the node order (and names) of the file.
    const query = headsOf(0);
    const keyT = g.op('Transpose', attn, [key], transformer.perm([0, 1, 3, 2]));
    const context = transformer.attentionContext(g, attn, attention, { query, keyT, value });
    hidden = g.op('Add', attn, [hidden, conv1d(attn, `${prefix}.attn.c_proj`, context)]);

    // gelu_new (GPT-2's tanh approximation): ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
    const mlp = `/h.${i}/mlp`;
    const up = conv1d(
      mlp,
      `${prefix}.mlp.c_fc`,
      layerNorm(`/h.${i}/ln_2`, `${prefix}.ln_2`, hidden),
    );
    const cubic = g.op('Mul', mlp, [
      g.op('Mul', mlp, [g.op('Mul', mlp, [up, up]), up]),
      g.scalar(0.044715),
    ]);
    const tanh = g.op('Tanh', mlp, [g.op('Mul', mlp, [g.op('Add', mlp, [up, cubic]), geluScale])]);
    const gelu = g.op('Mul', mlp, [
      g.op('Mul', mlp, [up, g.op('Add', mlp, [tanh, g.scalar(1)])]),
      g.scalar(0.5),
    ]);
    hidden = g.op('Add', mlp, [hidden, conv1d(mlp, `${prefix}.mlp.c_proj`, gelu)]);
  }

  const final = layerNorm('/ln_f', 'transformer.ln_f', hidden);
  // A runtime Transpose of the (possibly tied) embedding keeps one copy of it in the file.
  const head = config.tieWordEmbeddings ? 'transformer.wte.weight' : 'lm_head.weight';
  const headT = g.op('Transpose', '/lm_head', [weight(head)], transformer.perm([1, 0]));
  g.op('MatMul', '/lm_head', [final, headT], [], 'logits');

  const tokens = ['batch_size', 'sequence_length'];
  const intInput = (name: string, shape: string[]): OnnxValueInfo => ({
    name,
    elemType: OnnxDataType.INT64,
    shape,
  });
  const cache = (name: string, length: string): OnnxValueInfo => ({
    name,
    elemType: OnnxDataType.FLOAT,
    shape: ['batch_size', heads, length, size],
  });
  const inputs: OnnxValueInfo[] = [
    intInput('input_ids', tokens),
    intInput('attention_mask', ['batch_size', 'total_sequence_length']),
    intInput('position_ids', tokens),
  ];
  const outputs: OnnxValueInfo[] = [
    { name: 'logits', elemType: OnnxDataType.FLOAT, shape: [...tokens, config.vocabSize] },
  ];
  if (kvCache) {
    for (let i = 0; i < config.nLayer; i++) {
      const names = cacheNames(i);
      inputs.push(
        cache(names.pastKey, 'past_sequence_length'),
        cache(names.pastValue, 'past_sequence_length'),
      );
      outputs.push(
        cache(names.presentKey, 'total_sequence_length'),
        cache(names.presentValue, 'total_sequence_length'),
      );
    }
  }
  return encodeOnnxModel(
    transformer.transformerOnnxModel(GPT2_ONNX_OPSET, options, {
      name: 'gpt2_lm',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs,
      outputs,
    }),
  );
}
