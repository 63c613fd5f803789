import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BertWeights } from '../../../src/core/model/init.ts';
import { initBertWeights } from '../../../src/core/model/init.ts';
import { exportBertOnnx } from '../../../src/core/model/onnx/bert-onnx.ts';
import { encodeSafetensors } from '../../../src/core/model/safetensors.ts';
import { SeededRandom } from '../../../src/core/model/seeded-random.ts';
import {
  BackendUnavailableError,
  createBertEncoder,
  exportableBertConfig,
  loadBertEncoder,
  parseBertEncoderConfig,
  readBertSafetensors,
  tokenBatchTensors,
  useBackend,
  type BertEncoder,
  type BertEncoderConfig,
  type TokenBatch,
} from '../../../src/core/train/bert/index.ts';
import { activation, linear } from '../../../src/core/train/transformer/layers.ts';
import { erf, referenceBertForward } from '../../support/reference-bert.ts';
import { paddedBatch, rowAlone } from '../../support/padded-batch.ts';

/**
 * The TF.js encoder (cpu backend) against two independent implementations of the same weights:
 * the float64 TypeScript reference and ONNX Runtime on Lumina's exported graph. Differences are
 * taken over every position, padded ones included, as HF compares last_hidden_state: padded query
 * rows still attend to the real tokens only, so all three must agree there too.
 */

const TOLERANCE = 1e-4;
const minilmConfigUrl = new URL(
  '../../../../shared/models/all-MiniLM-L6-v2/config.json',
  import.meta.url,
);

const tinyJson = {
  model_type: 'bert',
  vocab_size: 120,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  max_position_embeddings: 64,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  pad_token_id: 0,
};

/** HF init leaves biases 0 and LayerNorm at (1, 0); nudging them makes the test see their wiring. */
async function seededWeights(config: BertEncoderConfig, seed: number): Promise<BertWeights> {
  const weights = await initBertWeights(exportableBertConfig(config), { seed });
  const random = new SeededRandom(seed, 'perturb');
  for (const [name, tensor] of weights) {
    if (tensor.shape.length !== 1) continue;
    for (let i = 0; i < tensor.data.length; i++) {
      tensor.data[i] = (tensor.data[i] ?? 0) + 0.05 * random.nextNormal();
    }
    weights.set(name, tensor);
  }
  return weights;
}

async function tfjsStates(
  encoder: BertEncoder,
  batch: TokenBatch,
  options: { training?: boolean; seed?: number } = {},
): Promise<Float32Array> {
  const inputs = tokenBatchTensors(batch);
  const states = encoder.forward(
    inputs.inputIds,
    inputs.attentionMask,
    inputs.tokenTypeIds,
    options,
  );
  const data = (await states.data()) as Float32Array;
  tf.dispose([states, inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
  return data;
}

async function ortStates(model: Uint8Array, batch: TokenBatch): Promise<Float32Array> {
  const rows = batch.inputIds.length;
  const seq = batch.inputIds[0]?.length ?? 0;
  const int64 = (values: readonly (readonly number[])[]) =>
    new ort.Tensor('int64', BigInt64Array.from(values.flat(), BigInt), [rows, seq]);
  const session = await ort.InferenceSession.create(model);
  try {
    const out = await session.run({
      input_ids: int64(batch.inputIds),
      attention_mask: int64(batch.attentionMask),
      token_type_ids: int64(batch.tokenTypeIds ?? batch.inputIds.map((r) => r.map(() => 0))),
    });
    return out.last_hidden_state?.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
  return max;
}

interface Parity {
  reference: number;
  onnx: number;
}

async function parity(
  config: BertEncoderConfig,
  weights: BertWeights,
  batch: TokenBatch,
  label: string,
): Promise<Parity> {
  const encoder = await createBertEncoder(config, weights);
  const t0 = performance.now();
  const states = await tfjsStates(encoder, batch);
  const tfjsMs = performance.now() - t0;
  encoder.dispose();
  expect(states.every(Number.isFinite)).toBe(true);
  const bert = exportableBertConfig(config);
  const reference = referenceBertForward(bert, weights, batch);
  const onnx = await ortStates(exportBertOnnx(bert, weights), batch);
  const result = { reference: maxAbsDiff(states, reference.data), onnx: maxAbsDiff(states, onnx) };
  console.info(`[bert-tfjs] ${label}`, { ...result, tfjsMs: Math.round(tfjsMs) });
  return result;
}

describe('TF.js BERT encoder (cpu backend)', () => {
  const tiny = parseBertEncoderConfig(tinyJson);
  let tinyWeights: BertWeights;

  beforeAll(async () => {
    expect(await useBackend('cpu')).toMatchObject({ name: 'cpu' });
    tinyWeights = await seededWeights(tiny, 3);
  });
  afterAll(() => expect(tf.getBackend()).toBe('cpu'));

  it('matches the reference and ONNX Runtime on a tiny config, padded mixed-length batch', async () => {
    const result = await parity(tiny, tinyWeights, paddedBatch(tiny, [9, 5, 2, 7], 11), 'tiny');
    expect(result.reference).toBeLessThanOrEqual(TOLERANCE);
    expect(result.onnx).toBeLessThanOrEqual(TOLERANCE);
  });

  it('matches on the all-MiniLM-L6-v2 config (6 layers, hidden 384, 12 heads)', async () => {
    const config = parseBertEncoderConfig(JSON.parse(readFileSync(minilmConfigUrl, 'utf8')));
    expect(config.numHiddenLayers).toBe(6);
    const weights = await seededWeights(config, 42);
    const result = await parity(config, weights, paddedBatch(config, [16, 9, 3], 5), 'minilm');
    expect(result.reference).toBeLessThanOrEqual(TOLERANCE);
    expect(result.onnx).toBeLessThanOrEqual(TOLERANCE);
  });

  it('gives a padded row the same states as the row alone (attention mask)', async () => {
    const encoder = await createBertEncoder(tiny, tinyWeights);
    const padded = paddedBatch(tiny, [12, 4], 8);
    const alone = rowAlone(padded, 1, 4);
    const batched = await tfjsStates(encoder, padded);
    const single = await tfjsStates(encoder, alone);
    const h = tiny.hiddenSize;
    expect(maxAbsDiff(batched.subarray(12 * h, 16 * h), single)).toBeLessThanOrEqual(1e-5);
    // Without the mask the padded keys would change the row.
    const unmasked = await tfjsStates(encoder, {
      ...padded,
      attentionMask: padded.attentionMask.map((row) => row.map(() => 1)),
    });
    expect(maxAbsDiff(unmasked.subarray(12 * h, 16 * h), single)).toBeGreaterThan(1e-3);
    encoder.dispose();
  });

  it('round-trips model.safetensors byte for byte, pooler included', async () => {
    const bytes = encodeSafetensors(tinyWeights, { format: 'pt' });
    const encoder = await loadBertEncoder(tiny, bytes);
    expect([...encoder.variables.keys()]).toContain('pooler.dense.weight');
    expect(await encoder.toSafetensors()).toEqual(bytes);
    encoder.dispose();
  });

  it('reads a BertForMaskedLM-style file (bert. prefix, head kept apart) and names bad tensors', async () => {
    const prefixed = new Map([...tinyWeights].map(([name, t]) => [`bert.${name}`, t]));
    const bias = { dtype: 'F32' as const, shape: [tiny.vocabSize], data: new Float32Array(120) };
    prefixed.set('cls.predictions.bias', bias);
    const split = readBertSafetensors(tiny, encodeSafetensors(prefixed));
    expect(split.encoder.size).toBe(tinyWeights.size);
    expect([...split.rest.keys()]).toEqual(['cls.predictions.bias']);

    const missing = new Map(tinyWeights);
    missing.delete('encoder.layer.1.output.dense.bias');
    await expect(createBertEncoder(tiny, missing)).rejects.toThrow(
      'Missing weight "encoder.layer.1.output.dense.bias"',
    );
    const wide = parseBertEncoderConfig({ ...tinyJson, hidden_size: 36 });
    await expect(createBertEncoder(wide, tinyWeights)).rejects.toThrow(
      /"embeddings.word_embeddings.weight" has shape \[120, 32\], config needs \[120, 36\]/,
    );
  });

  it('applies dropout only in training mode, reproducibly per seed', async () => {
    const encoder = await createBertEncoder(tiny, tinyWeights);
    const batch = paddedBatch(tiny, [9, 5], 2);
    const inference = await tfjsStates(encoder, batch);
    expect(await tfjsStates(encoder, batch, { seed: 1 })).toEqual(inference);
    const trainA = await tfjsStates(encoder, batch, { training: true, seed: 1 });
    const trainB = await tfjsStates(encoder, batch, { training: true, seed: 1 });
    const trainC = await tfjsStates(encoder, batch, { training: true, seed: 2 });
    expect(trainB).toEqual(trainA);
    expect(maxAbsDiff(trainA, inference)).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(trainA, trainC)).toBeGreaterThan(1e-2);
    const noDropout = await createBertEncoder(
      parseBertEncoderConfig({
        ...tinyJson,
        hidden_dropout_prob: 0,
        attention_probs_dropout_prob: 0,
      }),
      tinyWeights,
    );
    expect(await tfjsStates(noDropout, batch, { training: true, seed: 1 })).toEqual(inference);
    noDropout.dispose();
    encoder.dispose();
  });

  it('computes exact GELU and the tanh GELU of gelu_new', async () => {
    const xs = [-6, -3, -1.5, -0.5, -1e-3, 0, 0.25, 1, 2.5, 5];
    const exact = xs.map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2)));
    const tanh = xs.map(
      (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
    );
    const input = tf.tensor1d(xs);
    const [gelu, geluNew] = [activation(input, 'gelu'), activation(input, 'gelu_new')];
    expect(maxAbsDiff(await gelu.data(), exact)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(await geluNew.data(), tanh)).toBeLessThanOrEqual(1e-6);
    expect(maxAbsDiff(exact, tanh)).toBeGreaterThan(1e-4);
    tf.dispose([input, gelu, geluNew]);
    expect(parseBertEncoderConfig({ ...tinyJson, hidden_act: 'gelu_new' }).hiddenAct).toBe(
      'gelu_new',
    );
    expect(() => parseBertEncoderConfig({ ...tinyJson, hidden_act: 'relu' })).toThrow(/hidden_act/);
  });

  it('gives linear layers the gradients of a plain flagged matMul (value and grads)', async () => {
    const random = new SeededRandom(6, 'linear');
    const normal = (shape: number[]) =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.nextNormal()),
        shape,
      );
    const x = normal([2, 3, 5]);
    const weight = normal([4, 5]) as tf.Tensor2D;
    const bias = normal([4]) as tf.Tensor1D;
    const upstream = normal([2, 3, 4]);
    const ours = tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(linear(a, w as tf.Tensor2D, b as tf.Tensor1D), upstream)),
    )([x, weight, bias]);
    const plain = tf.grads((a: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.sum(
        tf.mul(
          tf.add(tf.matMul(a.reshape([6, 5]), w, false, true), b).reshape([2, 3, 4]),
          upstream,
        ),
      ),
    )([x, weight, bias]);
    const data = async (tensors: tf.Tensor[]) => Promise.all(tensors.map((t) => t.data()));
    const [ourX, ourW, ourB] = await data(ours);
    const [plainX, plainW, plainB] = await data(plain);
    expect(maxAbsDiff(ourX ?? [], plainX ?? [NaN])).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(ourW ?? [], plainW ?? [NaN])).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(ourB ?? [], plainB ?? [NaN])).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(ourW ?? [], new Float32Array(20))).toBeGreaterThan(0.1);
    tf.dispose([x, weight, bias, upstream, ...ours, ...plain]);
  });

  it('refuses webgpu where there is none instead of falling back', async () => {
    await expect(useBackend('webgpu')).rejects.toThrow(BackendUnavailableError);
    await expect(useBackend('webgpu')).rejects.toThrow(/navigator\.gpu is missing/);
    expect(tf.getBackend()).toBe('cpu');
  });
});
