import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../src/core/train/bert/index.ts';
import { gpt2Config } from '../../../src/core/model/decoder/gpt2-config.ts';
import { SeededRandom } from '../../../src/core/model/seeded-random.ts';
import { causalLmObjective, createGpt2Decoder } from '../../../src/core/train/decoder/index.ts';
import { projectToVocab } from '../../../src/core/train/decoder/ops.ts';
import { conv1d } from '../../../src/core/train/transformer/layers.ts';

beforeAll(async () => {
  await useBackend('cpu');
});

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.max(tf.abs(tf.sub(a, b)));
  const value = Number((await d.data())[0]);
  d.dispose();
  return value;
}

describe('decoder matMuls with hand-written gradients', () => {
  it('conv1d: value and gradients equal TF.js’s own x·W + b', async () => {
    const x = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 1) as tf.Tensor3D;
    const w = tf.randomNormal([5, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    const b = tf.randomNormal([4], 0, 1, 'float32', 3) as tf.Tensor1D;
    const upstream = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 4);

    const ours = tf.grads((xi, wi, bi) =>
      tf.sum(tf.mul(conv1d(xi, wi as tf.Tensor2D, bi as tf.Tensor1D), upstream)),
    )([x, w, b]);
    const theirs = tf.grads((xi, wi, bi) =>
      tf.sum(
        tf.mul(
          tf
            .add(tf.matMul(xi.reshape([-1, 5]) as tf.Tensor2D, wi as tf.Tensor2D), bi)
            .reshape([2, 3, 4]),
          upstream,
        ),
      ),
    )([x, w, b]);
    for (let i = 0; i < 3; i++) {
      expect(await maxAbsDiff(ours[i] as tf.Tensor, theirs[i] as tf.Tensor)).toBeLessThan(1e-5);
    }
    expect(
      await maxAbsDiff(
        conv1d(x, w, b),
        tf.add(tf.matMul(x.reshape([6, 5]) as tf.Tensor2D, w), b).reshape([2, 3, 4]),
      ),
    ).toBeLessThan(1e-6);
  });

  it('projectToVocab: gradients equal TF.js’s own x·Eᵀ', async () => {
    const rows = tf.randomNormal([6, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
    const embedding = tf.randomNormal([7, 4], 0, 1, 'float32', 6) as tf.Tensor2D;
    const up = tf.randomNormal([6, 7], 0, 1, 'float32', 7);
    const ours = tf.grads((r, e) =>
      tf.sum(tf.mul(projectToVocab(r as tf.Tensor2D, e as tf.Tensor2D), up)),
    )([rows, embedding]);
    const theirs = tf.grads((r, e) =>
      tf.sum(tf.mul(tf.matMul(r as tf.Tensor2D, e as tf.Tensor2D, false, true), up)),
    )([rows, embedding]);
    for (let i = 0; i < 2; i++) {
      expect(await maxAbsDiff(ours[i] as tf.Tensor, theirs[i] as tf.Tensor)).toBeLessThan(1e-5);
    }
  });

  it('the causal-LM loss gradient of every weight matches central differences', async () => {
    const config = {
      ...gpt2Config({
        vocabSize: 30,
        bosTokenId: 0,
        eosTokenId: 1,
        nPositions: 16,
        nEmbd: 8,
        nLayer: 2,
        nHead: 2,
        initializerRange: 0.3,
      }),
      embdPdrop: 0,
      attnPdrop: 0,
      residPdrop: 0,
    };
    const model = await createGpt2Decoder(config, undefined, { seed: 1 });
    const batch = causalLmObjective(model).batch(
      {
        inputIds: [
          [3, 4, 5, 6, 7, 8],
          [9, 10, 11, 12, 2, 2],
        ],
        attentionMask: [
          [1, 1, 1, 1, 1, 1],
          [1, 1, 1, 1, 0, 0],
        ],
      },
      new SeededRandom(1),
    );
    if (!batch) throw new Error('no batch');
    expect(batch.count).toBe(8);
    const variables = [...model.variables.values()];
    const { value, grads } = tf.variableGrads(
      () => batch.forward({ training: false }).loss,
      variables,
    );
    value.dispose();
    const lossOf = async (): Promise<number> => {
      const loss = tf.tidy(() => batch.forward({ training: false }).loss);
      const v = Number((await loss.data())[0]);
      loss.dispose();
      return v;
    };
    let worst = 0;
    for (const variable of variables) {
      const grad = (await (grads[variable.name] as tf.Tensor).data()) as Float32Array;
      const data = Float32Array.from((await variable.data()) as Float32Array);
      for (const i of [0, Math.floor(data.length / 2), data.length - 1]) {
        const eps = 1e-2;
        const shifted = async (delta: number) => {
          const copy = Float32Array.from(data);
          copy[i] = (copy[i] ?? 0) + delta;
          tf.tidy(() => variable.assign(tf.tensor(copy, variable.shape)));
          return lossOf();
        };
        const numeric = ((await shifted(eps)) - (await shifted(-eps))) / (2 * eps);
        tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
        worst = Math.max(worst, Math.abs(numeric - (grad[i] ?? Number.NaN)));
      }
    }
    tf.dispose(Object.values(grads));
    console.log(`gradient check: max |analytic − numeric| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(5e-4);
    model.dispose();
  });
});
