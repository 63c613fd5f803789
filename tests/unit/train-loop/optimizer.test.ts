import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../src/core/train/bert/index.ts';
import {
  AdamW,
  clipByGlobalNorm,
  decays,
  learningRateAt,
  warmupStepsOf,
} from '../../../src/core/train/loop/index.ts';

beforeAll(async () => {
  await useBackend('cpu');
});

/** torch.optim.AdamW's update, written out per element in float64. */
function referenceAdamW(
  p: number[],
  grads: number[][],
  lrs: number[],
  o: { beta1: number; beta2: number; epsilon: number; weightDecay: number },
  decay: boolean,
): number[] {
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const x = [...p];
  grads.forEach((g, t) => {
    const lr = lrs[t] ?? 0;
    for (let i = 0; i < x.length; i++) {
      const gi = g[i] ?? 0;
      if (decay) x[i] = (x[i] ?? 0) * (1 - lr * o.weightDecay);
      m[i] = o.beta1 * (m[i] ?? 0) + (1 - o.beta1) * gi;
      v[i] = o.beta2 * (v[i] ?? 0) + (1 - o.beta2) * gi * gi;
      const mHat = (m[i] ?? 0) / (1 - o.beta1 ** (t + 1));
      const vHat = (v[i] ?? 0) / (1 - o.beta2 ** (t + 1));
      x[i] = (x[i] ?? 0) - (lr * mHat) / (Math.sqrt(vHat) + o.epsilon);
    }
  });
  return x;
}

describe('AdamW', () => {
  const options = { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.1 };
  const start = [0.5, -1.25, 2, 0.01];
  const grads = [
    [0.1, -0.2, 0.3, 0],
    [-0.5, 0.25, 0.05, 1],
    [0.01, 0.02, -0.03, -0.5],
  ];
  const lrs = [0.01, 0.02, 0.005];

  it('matches torch.optim.AdamW, with decay only on weights (not biases, not LayerNorm gains)', async () => {
    expect(decays('encoder.layer.0.attention.self.query.weight')).toBe(true);
    expect(decays('encoder.layer.0.attention.self.query.bias')).toBe(false);
    expect(decays('embeddings.LayerNorm.weight')).toBe(false);
    expect(decays('cls.predictions.bias')).toBe(false);
    const w = tf.variable(tf.tensor1d(start));
    const b = tf.variable(tf.tensor1d(start));
    const params = new Map([
      ['dense.weight', w],
      ['dense.bias', b],
    ]);
    const adam = new AdamW(params, options);
    for (const [t, g] of grads.entries()) {
      const grad = tf.tensor1d(g);
      adam.apply(
        new Map([
          ['dense.weight', grad],
          ['dense.bias', grad],
        ]),
        lrs[t] ?? 0,
      );
      grad.dispose();
    }
    const expectW = referenceAdamW(start, grads, lrs, options, true);
    const expectB = referenceAdamW(start, grads, lrs, options, false);
    const gotW = await w.data();
    const gotB = await b.data();
    expectW.forEach((value, i) => expect(gotW[i]).toBeCloseTo(value, 6));
    expectB.forEach((value, i) => expect(gotB[i]).toBeCloseTo(value, 6));
    expect(expectW[0]).not.toBeCloseTo(expectB[0] ?? 0, 6);

    // Saved moments restore the exact trajectory.
    const saved = await adam.readState();
    const copy = tf.variable(tf.tensor1d(await w.data()));
    const other = new AdamW(new Map([['dense.weight', copy]]), options);
    other.loadState(
      new Map([...saved].filter(([name]) => name.endsWith('dense.weight'))),
      adam.step,
    );
    const g = tf.tensor1d([0.3, 0.3, -0.3, 0.1]);
    adam.apply(new Map([['dense.weight', g]]), 0.01);
    other.apply(new Map([['dense.weight', g]]), 0.01);
    expect([...(await copy.data())]).toEqual([...(await w.data())]);
    tf.dispose([g, w, b, copy]);
    adam.dispose();
    other.dispose();
  });

  it('clips by global norm as torch.nn.utils.clip_grad_norm_', async () => {
    const a = tf.tensor1d([3, 0]);
    const b = tf.tensor1d([0, 4]);
    const grads = new Map([
      ['a', a],
      ['b', b],
    ]);
    const { norm, clipped } = clipByGlobalNorm(grads, 1);
    expect((await norm.data())[0]).toBeCloseTo(5, 6);
    const read = async (map: Map<string, tf.Tensor>, name: string) => {
      const tensor = map.get(name);
      if (!tensor) throw new Error(`no gradient ${name}`);
      return [...(await tensor.data())];
    };
    expect((await read(clipped, 'a'))[0]).toBeCloseTo(3 / (5 + 1e-6), 6);
    expect((await read(clipped, 'b'))[1]).toBeCloseTo(4 / (5 + 1e-6), 6);
    const loose = clipByGlobalNorm(grads, 10);
    expect(await read(loose.clipped, 'b')).toEqual([0, 4]);
    tf.dispose([a, b, norm, ...clipped.values(), loose.norm, ...loose.clipped.values()]);
  });
});

describe('learning-rate schedule', () => {
  const base = { learningRate: 1, warmupSteps: 10, totalSteps: 110 };
  it('warms up linearly, then decays linearly or by half-cosine to 0, or stays', () => {
    expect(learningRateAt(0, { ...base, schedule: 'linear' })).toBe(0);
    expect(learningRateAt(5, { ...base, schedule: 'linear' })).toBeCloseTo(0.5);
    expect(learningRateAt(10, { ...base, schedule: 'linear' })).toBeCloseTo(1);
    expect(learningRateAt(60, { ...base, schedule: 'linear' })).toBeCloseTo(0.5);
    expect(learningRateAt(110, { ...base, schedule: 'linear' })).toBe(0);
    expect(learningRateAt(60, { ...base, schedule: 'cosine' })).toBeCloseTo(0.5);
    expect(learningRateAt(35, { ...base, schedule: 'cosine' })).toBeCloseTo(
      0.5 * (1 + Math.cos(Math.PI / 4)),
    );
    expect(learningRateAt(100, { ...base, schedule: 'constant' })).toBe(1);
    expect(warmupStepsOf(0, 0.06, 1000)).toBe(60);
    expect(warmupStepsOf(0, 0.06, 10)).toBe(1);
    expect(warmupStepsOf(7, 0.06, 1000)).toBe(7);
  });
});
