import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBertWeights } from '../../../src/core/model/init.ts';
import { SeededRandom } from '../../../src/core/model/seeded-random.ts';
import {
  createBertEncoder,
  exportableBertConfig,
  parseBertEncoderConfig,
  useBackend,
  type TfBackendName,
} from '../../../src/core/train/bert/index.ts';
import { createMlmHead, initMlmHeadWeights, mlmLoss } from '../../../src/core/train/mlm/index.ts';
import { referenceBertForward } from '../../support/reference-bert.ts';

/**
 * The wasm backend in Node (the same binaries the browser gets): forward parity with the
 * reference, and MLM gradients equal to the cpu backend's, which needs Lumina's UnsortedSegmentSum
 * kernel (the gradient of the embedding lookups) that TF.js 4.22 lacks on wasm.
 */

const config = parseBertEncoderConfig({
  vocab_size: 90,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 32,
  max_position_embeddings: 16,
});
const batch = {
  inputIds: [
    [1, 17, 23, 45, 2, 0, 0],
    [1, 60, 3, 3, 88, 71, 2],
  ],
  attentionMask: [
    [1, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 1, 1],
  ],
  labels: [
    [-100, 30, -100, 45, -100, -100, -100],
    [-100, -100, 12, -100, -100, 71, -100],
  ],
};

async function gradients(backend: TfBackendName): Promise<Map<string, Float32Array>> {
  await useBackend(backend);
  const weights = await initBertWeights(exportableBertConfig(config), { seed: 2 });
  const encoder = await createBertEncoder(config, weights);
  const head = createMlmHead(encoder, initMlmHeadWeights(config, 2));
  const { value, grads } = tf.variableGrads(() =>
    mlmLoss(encoder, head, batch, { training: true, seed: 4 }),
  );
  const out = new Map<string, Float32Array>([['loss', Float32Array.from(await value.data())]]);
  for (const [name, variable] of [...encoder.variables, ...head.variables]) {
    expect(variable.trainable, name).toBe(!name.startsWith('pooler.'));
    if (!variable.trainable) continue;
    const grad = grads[variable.name];
    if (!grad) throw new Error(`no gradient for ${name}`);
    out.set(name, Float32Array.from(await grad.data()));
  }
  tf.dispose([value, ...Object.values(grads)]);
  head.dispose();
  encoder.dispose();
  return out;
}

describe('TF.js BERT on the wasm backend (Node)', () => {
  it('matches the reference forward pass', async () => {
    expect((await useBackend('wasm')).name).toBe('wasm');
    const weights = await initBertWeights(exportableBertConfig(config), { seed: 9 });
    const random = new SeededRandom(9, 'perturb');
    for (const tensor of weights.values()) {
      if (tensor.shape.length === 1)
        tensor.data.forEach((v, i, a) => (a[i] = v + 0.05 * random.nextNormal()));
    }
    const encoder = await createBertEncoder(config, weights);
    const ids = tf.tensor2d(batch.inputIds, undefined, 'int32');
    const mask = tf.tensor2d(batch.attentionMask, undefined, 'int32');
    const states = await encoder.forward(ids, mask).data();
    const expected = referenceBertForward(exportableBertConfig(config), weights, batch).data;
    let max = 0;
    expected.forEach((v, i) => (max = Math.max(max, Math.abs(v - (states[i] ?? NaN)))));
    console.info('[bert-tfjs] wasm tiny vs reference', max);
    expect(max).toBeLessThanOrEqual(1e-4);
    tf.dispose([ids, mask]);
    encoder.dispose();
  });

  it('gives the same MLM loss and gradients as the cpu backend, embeddings included', async () => {
    const cpu = await gradients('cpu');
    const wasm = await gradients('wasm');
    expect(tf.getBackend()).toBe('wasm');
    let worst = 0;
    for (const [name, expected] of cpu) {
      const actual = wasm.get(name);
      expect(actual?.length, name).toBe(expected.length);
      let scale = 0;
      let diff = 0;
      expected.forEach((v, i) => {
        scale = Math.max(scale, Math.abs(v));
        diff = Math.max(diff, Math.abs(v - (actual?.[i] ?? NaN)));
      });
      worst = Math.max(worst, diff / Math.max(scale, 1e-6));
    }
    console.info('[bert-tfjs] wasm vs cpu gradients, worst relative diff', worst);
    expect(worst).toBeLessThanOrEqual(1e-3);
    // The word-embedding gradient is non-zero exactly on the rows the batch used (ids + tied decoder).
    const embedding = wasm.get('embeddings.word_embeddings.weight');
    expect(embedding?.some((v) => v !== 0)).toBe(true);
  });
});
