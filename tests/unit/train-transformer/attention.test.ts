import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../src/core/train/bert/index.ts';
import {
  causalMaskAdd,
  MASKED_SCORE,
  multiHeadAttention,
  paddingMaskAdd,
} from '../../../src/core/train/transformer/attention.ts';
import { forwardDropout } from '../../../src/core/train/transformer/forward.ts';

const BATCH = 2;
const SEQ = 4;
const HEADS = 2;
const HIDDEN = 6;
const SIZE = HIDDEN / HEADS;
const MASK = [1, 1, 1, 1, 1, 1, 1, 0];

function at(values: ArrayLike<number>, index: number): number {
  const value = values[index];
  if (value === undefined) throw new RangeError(`index ${index} out of range`);
  return value;
}

/** Element (b, t, c) of a flat [BATCH, SEQ, HIDDEN] array. */
const idx = (b: number, t: number, c: number): number => (b * SEQ + t) * HIDDEN + c;

/** Attention by plain loops: per head, softmax of q·k/√d over the keys `sees` allows, times v. */
function referenceAttention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  sees: (b: number, i: number, j: number) => boolean,
): Float64Array {
  const out = new Float64Array(BATCH * SEQ * HIDDEN);
  for (let b = 0; b < BATCH; b++) {
    for (let i = 0; i < SEQ; i++) {
      for (let h = 0; h < HEADS; h++) {
        const keys = [...Array(SEQ).keys()].filter((j) => sees(b, i, j));
        const scores = keys.map((j) => {
          let dot = 0;
          for (let c = h * SIZE; c < (h + 1) * SIZE; c++)
            dot += at(q, idx(b, i, c)) * at(k, idx(b, j, c));
          return dot / Math.sqrt(SIZE);
        });
        const top = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - top));
        const total = exps.reduce((s, e) => s + e, 0);
        keys.forEach((j, n) => {
          for (let c = h * SIZE; c < (h + 1) * SIZE; c++) {
            out[idx(b, i, c)] = at(out, idx(b, i, c)) + (at(exps, n) / total) * at(v, idx(b, j, c));
          }
        });
      }
    }
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let n = 0; n < a.length; n++) worst = Math.max(worst, Math.abs(at(a, n) - at(b, n)));
  return worst;
}

function attend(maskAdd: (mask: tf.Tensor2D) => tf.Tensor): {
  ours: Float32Array;
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
} {
  return tf.tidy(() => {
    const [q, k, v] = [1, 2, 3].map((seed) =>
      tf.randomNormal([BATCH, SEQ, HIDDEN], 0, 1, 'float32', seed),
    ) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const ours = multiHeadAttention(q, k, v, {
      heads: HEADS,
      maskAdd: maskAdd(tf.tensor2d(MASK, [BATCH, SEQ])),
      // Inference: the probabilities' dropout rate must have no effect.
      drop: forwardDropout({}),
      probsDropout: 0.5,
    });
    expect(ours.shape).toEqual([BATCH, SEQ, HIDDEN]);
    return {
      ours: ours.dataSync() as Float32Array,
      q: q.dataSync() as Float32Array,
      k: k.dataSync() as Float32Array,
      v: v.dataSync() as Float32Array,
    };
  });
}

beforeAll(async () => {
  await useBackend('cpu');
});

describe('multiHeadAttention', () => {
  it('with the padding mask equals loop attention over the unpadded keys (BERT)', () => {
    const { ours, q, k, v } = attend(paddingMaskAdd);
    const expected = referenceAttention(q, k, v, (b, _i, j) => at(MASK, b * SEQ + j) === 1);
    expect(maxAbsDiff(ours, expected)).toBeLessThan(1e-5);
  });

  it('with the causal mask equals loop attention over earlier unpadded keys (GPT-2)', () => {
    const { ours, q, k, v } = attend(causalMaskAdd);
    const expected = referenceAttention(
      q,
      k,
      v,
      (b, i, j) => j <= i && at(MASK, b * SEQ + j) === 1,
    );
    expect(maxAbsDiff(ours, expected)).toBeLessThan(1e-5);
    // The first position sees only itself: its context is its own value row.
    for (let c = 0; c < HIDDEN; c++)
      expect(at(ours, idx(1, 0, c))).toBeCloseTo(at(v, idx(1, 0, c)), 5);
  });
});

describe('masks', () => {
  const m = MASKED_SCORE;
  // (1 − 1)·MASKED_SCORE is −0, which toEqual tells apart from 0; JSON writes both as 0.
  const withoutNegativeZero = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

  it('padding mask: [batch, 1, 1, seq], MASKED_SCORE on padded keys only', () => {
    const add = tf.tidy(() => paddingMaskAdd(tf.tensor2d(MASK, [BATCH, SEQ])).arraySync());
    expect(withoutNegativeZero(add)).toEqual([[[[0, 0, 0, 0]]], [[[0, 0, 0, m]]]]);
  });

  it('causal mask: [batch, 1, seq, seq], later and padded keys masked', () => {
    const add = tf.tidy(() => causalMaskAdd(tf.tensor2d(MASK, [BATCH, SEQ])).arraySync());
    const lower = [
      [0, m, m, m],
      [0, 0, m, m],
      [0, 0, 0, m],
    ];
    expect(withoutNegativeZero(add)).toEqual([
      [[...lower, [0, 0, 0, 0]]],
      [[...lower, [0, 0, 0, m]]],
    ]);
  });
});

describe('forwardDropout', () => {
  it('is the identity unless training', () => {
    const x = tf.ones([64]);
    expect(forwardDropout({ seed: 1 })(x, 0.5)).toBe(x);
    x.dispose();
  });

  it('gives each site its own seeded mask, the same on a second pass', () => {
    const pass = (): number[][] =>
      tf.tidy(() => {
        const drop = forwardDropout({ training: true, seed: 7 });
        const x = tf.ones([64]);
        return [drop(x, 0.5), drop(x, 0.5)].map((t) => Array.from(t.dataSync()));
      });
    const [first = [], second = []] = pass();
    expect(pass()).toEqual([first, second]);
    expect(first).not.toEqual(second);
    // Inverted dropout: kept values are scaled by 1/(1−rate).
    expect(new Set([...first, ...second])).toEqual(new Set([0, 2]));
  });
});
