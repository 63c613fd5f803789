import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseBertConfig, type BertConfig } from '../../../src/core/model/bert-config.ts';
import { initBertWeights, type BertWeights } from '../../../src/core/model/init.ts';
import { exportBertOnnx } from '../../../src/core/model/onnx/bert-onnx.ts';
import {
  referenceBertForward,
  type HiddenStates,
  type ReferenceInputs,
} from '../../support/reference-bert.ts';
import { paddedBatch, rowAlone } from '../../support/padded-batch.ts';

const minilmConfig = new URL(
  '../../../../shared/models/all-MiniLM-L6-v2/config.json',
  import.meta.url,
);

const tinyConfig = parseBertConfig({
  vocab_size: 100,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  max_position_embeddings: 64,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  hidden_act: 'gelu',
  pad_token_id: 0,
  initializer_range: 0.02,
});

function int64Tensor(rows: readonly (readonly number[])[]): ort.Tensor {
  const flat = BigInt64Array.from(rows.flat(), (value) => BigInt(value));
  return new ort.Tensor('int64', flat, [rows.length, rows[0]?.length ?? 0]);
}

async function runOnnx(
  model: Uint8Array,
  inputs: ReferenceInputs,
  graphOptimizationLevel: ort.InferenceSession.SessionOptions['graphOptimizationLevel'] = 'all',
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel });
  try {
    const outputs = await session.run({
      input_ids: int64Tensor(inputs.inputIds),
      attention_mask: int64Tensor(inputs.attentionMask),
      token_type_ids: int64Tensor(
        inputs.tokenTypeIds ?? inputs.inputIds.map((r) => r.map(() => 0)),
      ),
    });
    const hidden = outputs.last_hidden_state;
    if (!hidden) throw new Error('no last_hidden_state output');
    const seq = inputs.inputIds[0]?.length ?? 0;
    expect(hidden.dims).toEqual([inputs.inputIds.length, seq, hidden.dims[2]]);
    return hidden.data as Float32Array;
  } finally {
    await session.release();
  }
}

/**
 * Max |onnx − reference| over every position, padded ones included: both compute padded query
 * rows the same way (attending to the real tokens only), so they must agree there too.
 */
function maxAbsDiff(actual: Float32Array, expected: HiddenStates): number {
  expect(actual.length).toBe(expected.data.length);
  let max = 0;
  expected.data.forEach((value, i) => {
    max = Math.max(max, Math.abs((actual[i] ?? Number.NaN) - value));
  });
  return max;
}

async function checkParity(
  config: BertConfig,
  weights: BertWeights,
  lengths: number[],
): Promise<{ diff: number; model: Uint8Array }> {
  const model = exportBertOnnx(config, weights);
  const inputs = paddedBatch(config, lengths, 11);
  const expected = referenceBertForward(config, weights, inputs);
  const actual = await runOnnx(model, inputs);
  expect(actual.every(Number.isFinite)).toBe(true);
  return { diff: maxAbsDiff(actual, expected), model };
}

describe('exported BERT ONNX vs the reference forward pass', () => {
  it('matches on a tiny config (2 layers, hidden 32, 4 heads), padded mixed-length batch', async () => {
    const weights = await initBertWeights(tinyConfig, { seed: 3 });
    const { diff, model } = await checkParity(tinyConfig, weights, [9, 5, 2, 7]);
    expect(diff).toBeLessThanOrEqual(1e-4);

    // The graph as written, without ORT's fusions (which differ between ORT backends).
    const inputs = paddedBatch(tinyConfig, [9, 5, 2, 7], 11);
    const plain = await runOnnx(model, inputs, 'disabled');
    const expected = referenceBertForward(tinyConfig, weights, inputs);
    expect(maxAbsDiff(plain, expected)).toBeLessThanOrEqual(1e-4);
  });

  it('gives a padded sequence the same states as the sequence alone (mask works)', async () => {
    const weights = await initBertWeights(tinyConfig, { seed: 4 });
    const model = exportBertOnnx(tinyConfig, weights);
    const padded = paddedBatch(tinyConfig, [12, 4], 5);
    const alone = rowAlone(padded, 1, 4);
    const batched = await runOnnx(model, padded);
    const single = await runOnnx(model, alone);
    const h = tinyConfig.hiddenSize;
    const secondRow = batched.subarray(12 * h, 12 * h + 4 * h);
    const diff = Math.max(...secondRow.map((value, i) => Math.abs(value - (single[i] ?? 0))));
    expect(diff).toBeLessThanOrEqual(1e-5);
  });

  it('rejects weights that do not fit the config, naming the tensor', async () => {
    const weights = await initBertWeights(tinyConfig, { seed: 1, pooler: false });
    weights.delete('encoder.layer.1.output.dense.bias');
    expect(() => exportBertOnnx(tinyConfig, weights)).toThrow(
      'Missing weight "encoder.layer.1.output.dense.bias"',
    );
    const wide = await initBertWeights({ ...tinyConfig, hiddenSize: 36 }, { seed: 1 });
    expect(() => exportBertOnnx(tinyConfig, wide)).toThrow(
      /"embeddings.word_embeddings.weight" has shape \[100, 36\], config needs \[100, 32\]/,
    );
  });

  it('matches on the all-MiniLM-L6-v2 config (6 layers, hidden 384, 12 heads)', async () => {
    const config = parseBertConfig(JSON.parse(readFileSync(minilmConfig, 'utf8')));
    expect(config.numHiddenLayers).toBe(6);
    const weights = await initBertWeights(config, { seed: 42 });
    const { diff, model } = await checkParity(config, weights, [16, 9, 3]);
    expect(diff).toBeLessThanOrEqual(1e-4);
    // Weights are ~22.6 M float32 (the pooler is not exported) plus a small graph.
    expect(model.length).toBeGreaterThan(22_500_000 * 4);
    expect(model.length).toBeLessThan(22_700_000 * 4);
  });
});
