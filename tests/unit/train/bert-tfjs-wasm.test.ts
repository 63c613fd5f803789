import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBertWeights } from '../../../src/core/model/init.ts';
import { SeededRandom } from '../../../src/core/model/seeded-random.ts';
import {
  createBertEncoder,
  exportableBertConfig,
  useBackend,
  type TfBackendName,
} from '../../../src/core/train/bert/index.ts';
import {
  seededMlmGradients,
  tinyMlmBatch,
  tinyMlmConfig,
  worstRelativeDiff,
} from '../../support/mlm-gradients.ts';
import { referenceBertForward } from '../../support/reference-bert.ts';

/**
 * The wasm backend in Node (the same binaries the browser gets): forward parity with the
 * reference, and MLM gradients equal to the cpu backend's, which needs Lumina's UnsortedSegmentSum
 * kernel (the gradient of the embedding lookups) that TF.js 4.22 lacks on wasm.
 */

const config = tinyMlmConfig;
const batch = tinyMlmBatch;

async function gradients(backend: TfBackendName): Promise<Map<string, Float32Array>> {
  await useBackend(backend);
  const { values, trainable } = await seededMlmGradients();
  for (const [name, isTrainable] of trainable) {
    expect(isTrainable, name).toBe(!name.startsWith('pooler.'));
  }
  return values;
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
    const worst = worstRelativeDiff(cpu, wasm);
    console.info('[bert-tfjs] wasm vs cpu gradients, worst relative diff', worst);
    expect(worst).toBeLessThanOrEqual(1e-3);
    // The word-embedding gradient is non-zero exactly on the rows the batch used (ids + tied decoder).
    const embedding = wasm.get('embeddings.word_embeddings.weight');
    expect(embedding?.some((v) => v !== 0)).toBe(true);
  });
});
