import { headSize, type BertConfig } from '../bert-config.ts';
import { bertTensorSpecs } from '../bert-tensors.ts';
import type { Float32Tensor } from '../init.ts';
import { GraphBuilder } from './graph-builder.ts';
import { encodeOnnxModel, OnnxDataType, type OnnxValueInfo } from './onnx-proto.ts';
import * as transformer from './transformer-graph.ts';

/** Opset 17 is the first with LayerNormalization, which keeps the graph small and exact. */
export const BERT_ONNX_OPSET = 17;

export interface BertOnnxOptions extends transformer.TransformerOnnxHeader {
  /**
   * Export BertForSequenceClassification instead: the pooler (tanh dense on [CLS]) and
   * `classifier.weight/bias` on top, with `logits` [batch_size, numLabels] as the only output.
   */
  classifier?: { numLabels: number };
}

/**
 * A BERT encoder as an ONNX model with the I/O of Xenova's transformers.js exports:
 * `input_ids`, `attention_mask`, `token_type_ids` (int64 [batch_size, sequence_length]) to
 * `last_hidden_state` (float32 [batch_size, sequence_length, hidden]). Weights are raw float32
 * initializers; linear weights are transposed from PyTorch's [out, in] to MatMul's [in, out].
 * Synchronous: it is one copy of the weights (~100 ms for MiniLM), nothing to cancel or report.
 */
export function exportBertOnnx(
  config: BertConfig,
  weights: ReadonlyMap<string, Float32Tensor>,
  options: BertOnnxOptions = {},
): Uint8Array {
  checkWeights(config, weights, options.classifier);
  const g = new GraphBuilder();
  const weight = (name: string): string => {
    const tensor = weights.get(name) as Float32Tensor;
    return g.float32(name, tensor.shape, tensor.data);
  };
  const linear = (scope: string, prefix: string, input: string): string => {
    const tensor = weights.get(`${prefix}.weight`) as Float32Tensor;
    const [outputs = 0, inputs = 0] = tensor.shape;
    const transposed = g.float32(
      `${prefix}.weight.T`,
      [inputs, outputs],
      transpose(tensor.data, outputs, inputs),
    );
    const product = g.op('MatMul', scope, [input, transposed]);
    return g.op('Add', scope, [product, weight(`${prefix}.bias`)]);
  };
  const layerNorm = transformer.layerNormBuilder(g, weight, config.layerNormEps);

  // Embeddings: word + absolute position (rows 0..seq-1) + token type, then LayerNorm.
  const words = g.op('Gather', '/embeddings/word', [
    weight('embeddings.word_embeddings.weight'),
    'input_ids',
  ]);
  const seqLength = g.op(
    'Shape',
    '/embeddings/position',
    ['input_ids'],
    [
      { name: 'start', type: 'int', value: 1 },
      { name: 'end', type: 'int', value: 2 },
    ],
  );
  const positions = g.op('Slice', '/embeddings/position', [
    weight('embeddings.position_embeddings.weight'),
    g.int64s([0]),
    seqLength,
    g.int64s([0]),
  ]);
  const types = g.op('Gather', '/embeddings/token_type', [
    weight('embeddings.token_type_embeddings.weight'),
    'token_type_ids',
  ]);
  const summed = g.op('Add', '/embeddings', [
    g.op('Add', '/embeddings', [words, positions]),
    types,
  ]);
  let hidden = layerNorm('/embeddings/LayerNorm', 'embeddings.LayerNorm', summed);

  // Additive mask [batch, 1, 1, seq]: 0 where attended, float32 min on padded keys.
  const maskFloat = g.op(
    'Cast',
    '/mask',
    ['attention_mask'],
    [{ name: 'to', type: 'int', value: OnnxDataType.FLOAT }],
  );
  const mask4d = g.op('Unsqueeze', '/mask', [maskFloat, g.int64s([1, 2])]);
  const inverted = g.op('Sub', '/mask', [g.scalar(1), mask4d]);
  const maskBias = g.op('Mul', '/mask', [inverted, g.scalar(transformer.MASKED_SCORE)]);

  const heads = config.numAttentionHeads;
  const size = headSize(config);
  const splitHeads = g.int64s([0, 0, heads, size]);
  const mergeHeads = g.int64s([0, 0, config.hiddenSize]);
  const scale = g.scalar(Math.sqrt(size));
  const sqrt2 = g.scalar(Math.SQRT2);

  const attention = { maskBias, scale, mergeHeads };
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const prefix = `encoder.layer.${i}`;
    const scope = `/encoder/layer.${i}`;
    const attn = `${scope}/attention/self`;
    const query = g.op(
      'Transpose',
      attn,
      [g.op('Reshape', attn, [linear(attn, `${prefix}.attention.self.query`, hidden), splitHeads])],
      transformer.perm([0, 2, 1, 3]),
    );
    const keyT = g.op(
      'Transpose',
      attn,
      [g.op('Reshape', attn, [linear(attn, `${prefix}.attention.self.key`, hidden), splitHeads])],
      transformer.perm([0, 2, 3, 1]),
    );
    const value = g.op(
      'Transpose',
      attn,
      [g.op('Reshape', attn, [linear(attn, `${prefix}.attention.self.value`, hidden), splitHeads])],
      transformer.perm([0, 2, 1, 3]),
    );
    const context = transformer.attentionContext(g, attn, attention, { query, keyT, value });

    const attnOut = `${scope}/attention/output`;
    const projected = linear(attnOut, `${prefix}.attention.output.dense`, context);
    const attended = layerNorm(
      `${attnOut}/LayerNorm`,
      `${prefix}.attention.output.LayerNorm`,
      g.op('Add', attnOut, [projected, hidden]),
    );

    // Exact GELU: x · ½ · (1 + erf(x / √2)).
    const ff = `${scope}/intermediate`;
    const up = linear(ff, `${prefix}.intermediate.dense`, attended);
    const erf = g.op('Erf', ff, [g.op('Div', ff, [up, sqrt2])]);
    const gelu = g.op('Mul', ff, [
      g.op('Mul', ff, [up, g.op('Add', ff, [erf, g.scalar(1)])]),
      g.scalar(0.5),
    ]);

    const out = `${scope}/output`;
    const down = linear(out, `${prefix}.output.dense`, gelu);
    const last = i === config.numHiddenLayers - 1;
    hidden = layerNorm(
      `${out}/LayerNorm`,
      `${prefix}.output.LayerNorm`,
      g.op('Add', out, [down, attended]),
      last && !options.classifier ? 'last_hidden_state' : undefined,
    );
  }
  const outputs: OnnxValueInfo[] = options.classifier
    ? [classifierHead(g, hidden, linear, options.classifier.numLabels)]
    : [];

  const tokens = ['batch_size', 'sequence_length'];
  const intInput = (name: string): OnnxValueInfo => ({
    name,
    elemType: OnnxDataType.INT64,
    shape: tokens,
  });
  return encodeOnnxModel(
    transformer.transformerOnnxModel(BERT_ONNX_OPSET, options, {
      name: 'bert_encoder',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [intInput('input_ids'), intInput('attention_mask'), intInput('token_type_ids')],
      outputs:
        outputs.length > 0
          ? outputs
          : [
              {
                name: 'last_hidden_state',
                elemType: OnnxDataType.FLOAT,
                shape: [...tokens, config.hiddenSize],
              },
            ],
    }),
  );
}

/**
 * HF's BertPooler (tanh of a dense layer on the first token) and the classifier linear layer;
 * dropout is the identity at inference.
 */
function classifierHead(
  g: GraphBuilder,
  hidden: string,
  linear: (scope: string, prefix: string, input: string) => string,
  numLabels: number,
): OnnxValueInfo {
  const first = g.op(
    'Gather',
    '/pooler',
    [hidden, g.int64s([0])],
    [{ name: 'axis', type: 'int', value: 1 }],
  );
  const cls = g.op('Squeeze', '/pooler', [first, g.int64s([1])]);
  const pooled = g.op('Tanh', '/pooler', [linear('/pooler/dense', 'pooler.dense', cls)]);
  const scores = linear('/classifier', 'classifier', pooled);
  g.op('Identity', '/classifier', [scores], [], 'logits');
  return { name: 'logits', elemType: OnnxDataType.FLOAT, shape: ['batch_size', numLabels] };
}

/**
 * Every encoder tensor must be present with its config shape; the pooler and classifier only
 * for a classification export.
 */
function checkWeights(
  config: BertConfig,
  weights: ReadonlyMap<string, Float32Tensor>,
  classifier: BertOnnxOptions['classifier'],
): void {
  const specs = bertTensorSpecs(config, { pooler: classifier !== undefined });
  if (classifier) {
    specs.push(
      {
        name: 'classifier.weight',
        shape: [classifier.numLabels, config.hiddenSize],
        init: 'normal',
      },
      { name: 'classifier.bias', shape: [classifier.numLabels], init: 'zeros' },
    );
  }
  transformer.checkTensorShapes(specs, weights, true);
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] ?? 0;
  }
  return out;
}
