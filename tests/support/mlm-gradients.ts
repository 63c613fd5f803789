/**
 * One seeded masked-LM step on a tiny encoder, shared by the backend-parity tests in Node (wasm,
 * cpu) and in Chromium (webgpu, wasm, cpu): the same config, batch and seeds on every backend, so
 * their gradients can be compared entry by entry. Pure TF.js and core code: runs in both.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { initBertWeights } from '../../src/core/model/init.ts';
import {
  createBertEncoder,
  exportableBertConfig,
  parseBertEncoderConfig,
} from '../../src/core/train/bert/index.ts';
import { createMlmHead, initMlmHeadWeights, mlmLoss } from '../../src/core/train/mlm/index.ts';

export const tinyMlmConfig = parseBertEncoderConfig({
  vocab_size: 90,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 32,
  max_position_embeddings: 16,
});

/** Two rows, the first padded, with masked positions (labels other than -100) in both. */
export const tinyMlmBatch = {
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

export interface MlmStepGradients {
  /** `loss` and every trainable variable's gradient, read back as data. */
  values: Map<string, Float32Array>;
  /** Every encoder and head variable, trainable or not. */
  trainable: Map<string, boolean>;
}

/** One seeded MLM step in training mode on whichever TF.js backend is active. */
export async function seededMlmGradients(): Promise<MlmStepGradients> {
  const weights = await initBertWeights(exportableBertConfig(tinyMlmConfig), { seed: 2 });
  const encoder = await createBertEncoder(tinyMlmConfig, weights);
  const head = createMlmHead(encoder, initMlmHeadWeights(tinyMlmConfig, 2));
  const { value, grads } = tf.variableGrads(() =>
    mlmLoss(encoder, head, tinyMlmBatch, { training: true, seed: 4 }),
  );
  const values = new Map<string, Float32Array>([['loss', Float32Array.from(await value.data())]]);
  const trainable = new Map<string, boolean>();
  for (const [name, variable] of [...encoder.variables, ...head.variables]) {
    trainable.set(name, variable.trainable);
    if (!variable.trainable) continue;
    const grad = grads[variable.name];
    if (!grad) throw new Error(`no gradient for ${name}`);
    values.set(name, Float32Array.from(await grad.data()));
  }
  tf.dispose([value, ...Object.values(grads)]);
  head.dispose();
  encoder.dispose();
  return { values, trainable };
}

/**
 * The largest per-entry max difference over every expected array, relative to that array's own
 * largest magnitude (so tiny gradients are not judged by big ones). Each actual array must exist
 * and have the expected length.
 */
export function worstRelativeDiff(
  expected: ReadonlyMap<string, Float32Array>,
  actual: ReadonlyMap<string, Float32Array>,
): number {
  let worst = 0;
  for (const [name, want] of expected) {
    const got = actual.get(name);
    expect(got?.length, name).toBe(want.length);
    let scale = 0;
    let diff = 0;
    want.forEach((v, i) => {
      scale = Math.max(scale, Math.abs(v));
      diff = Math.max(diff, Math.abs(v - (got?.[i] ?? NaN)));
    });
    worst = Math.max(worst, diff / Math.max(scale, 1e-6));
  }
  return worst;
}
