import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  contrastiveLoss,
  cosineSimilarityLoss,
  multipleNegativesRankingLoss,
  multipleNegativesSymmetricRankingLoss,
  onlineContrastiveLoss,
  type SiameseDistance,
} from '../../../src/core/finetune/index.ts';
import { useBackend } from '../../../src/core/train/bert/index.ts';
import {
  finiteDifferences,
  fixedMatrix,
  refContrastive,
  refCosineLoss,
  refMnrl,
  refOnlineContrastive,
  refSymmetricMnrl,
  relativeError,
  type Matrix,
} from './reference.ts';

/** Loss value and gradients w.r.t. every input matrix, through TF.js (float32). */
function tfValueAndGrads(loss: (inputs: tf.Tensor2D[]) => tf.Scalar, inputs: Matrix[]) {
  const tensors = inputs.map((m) => tf.tensor2d(m));
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => loss(xs as tf.Tensor2D[]))(
    tensors,
  );
  const result = {
    value: value.dataSync()[0] as number,
    grads: grads.map((g) => g.arraySync() as Matrix),
  };
  value.dispose();
  grads.forEach((g) => g.dispose());
  tensors.forEach((t) => t.dispose());
  return result;
}

/** Checks the TF.js loss and its gradients against the float64 reference and its differences. */
function expectMatches(
  loss: (inputs: tf.Tensor2D[]) => tf.Scalar,
  reference: (inputs: Matrix[]) => number,
  inputs: Matrix[],
) {
  const before = tf.memory().numTensors;
  const actual = tfValueAndGrads(loss, inputs);
  expect(tf.memory().numTensors).toBe(before);
  const expectedValue = reference(inputs);
  expect(
    Math.abs(actual.value - expectedValue) / Math.max(Math.abs(expectedValue), 1e-6),
  ).toBeLessThan(1e-4);
  const numeric = finiteDifferences(reference, inputs);
  actual.grads.forEach((grad, i) => {
    expect(relativeError(grad, numeric[i] as Matrix)).toBeLessThan(1e-4);
  });
  return { value: actual.value, grads: actual.grads, numeric };
}

const DIMS = 6;

describe('losses match sentence-transformers definitions (value and gradients)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('hand-computed values', () => {
    const e = [
      [1, 0],
      [0, 1],
    ];
    // Orthonormal pairs: logits [[20, 0], [0, 20]], loss = log(1 + e^-20) per row.
    const mnrl = multipleNegativesRankingLoss({
      anchors: tf.tensor2d(e),
      positives: tf.tensor2d(e),
    });
    expect(mnrl.dataSync()[0]).toBeCloseTo(Math.log1p(Math.exp(-20)), 6);
    // Swapped positives: each anchor's own positive scores 0, the other 20: loss ≈ 20.
    const swapped = multipleNegativesRankingLoss({
      anchors: tf.tensor2d(e),
      positives: tf.tensor2d([e[1] as number[], e[0] as number[]]),
    });
    expect(swapped.dataSync()[0]).toBeCloseTo(20 + Math.log1p(Math.exp(-20)), 4);
    // Orthogonal pair: distance 1; similar → ½·1² ; dissimilar → relu(0.5 − 1) = 0. Mean 0.25.
    const a = tf.tensor2d([
      [1, 0],
      [1, 0],
    ]);
    const b = tf.tensor2d([
      [0, 1],
      [0, 1],
    ]);
    expect(contrastiveLoss(a, b, [1, 0]).dataSync()[0]).toBeCloseTo(0.25, 6);
    expect(contrastiveLoss(a, b, [1, 0], { sizeAverage: false }).dataSync()[0]).toBeCloseTo(0.5, 6);
    // cos = 0 against gold 0.5 and 1: ((0.5)² + 1²) / 2.
    expect(cosineSimilarityLoss(a, b, [0.5, 1]).dataSync()[0]).toBeCloseTo(0.625, 6);
    tf.dispose([mnrl, swapped, a, b]);
  });

  it('MultipleNegativesRankingLoss, in-batch negatives only', () => {
    const inputs = [fixedMatrix(4, DIMS, 1), fixedMatrix(4, DIMS, 2)];
    const { value } = expectMatches(
      ([a, p]) =>
        multipleNegativesRankingLoss({ anchors: a as tf.Tensor2D, positives: p as tf.Tensor2D }),
      ([a, p]) => refMnrl(a as Matrix, p as Matrix, [], 20),
      inputs,
    );
    expect(value).toBeGreaterThan(0.1);
  });

  it('MultipleNegativesRankingLoss with two hard-negative columns and scale 10', () => {
    const inputs = [1, 2, 3, 4].map((seed) => fixedMatrix(3, DIMS, seed + 10));
    expectMatches(
      ([a, p, n1, n2]) =>
        multipleNegativesRankingLoss(
          {
            anchors: a as tf.Tensor2D,
            positives: p as tf.Tensor2D,
            negatives: [n1 as tf.Tensor2D, n2 as tf.Tensor2D],
          },
          { scale: 10 },
        ),
      ([a, p, n1, n2]) => refMnrl(a as Matrix, p as Matrix, [n1 as Matrix, n2 as Matrix], 10),
      inputs,
    );
  });

  it('MultipleNegativesSymmetricRankingLoss, with and without a hard negative', () => {
    const pairs = [fixedMatrix(4, DIMS, 21), fixedMatrix(4, DIMS, 22)];
    expectMatches(
      ([a, p]) =>
        multipleNegativesSymmetricRankingLoss({
          anchors: a as tf.Tensor2D,
          positives: p as tf.Tensor2D,
        }),
      ([a, p]) => refSymmetricMnrl(a as Matrix, p as Matrix, [], 20),
      pairs,
    );
    const triplets = [...pairs, fixedMatrix(4, DIMS, 23)];
    const { value } = expectMatches(
      ([a, p, n]) =>
        multipleNegativesSymmetricRankingLoss({
          anchors: a as tf.Tensor2D,
          positives: p as tf.Tensor2D,
          negatives: [n as tf.Tensor2D],
        }),
      ([a, p, n]) => refSymmetricMnrl(a as Matrix, p as Matrix, [n as Matrix], 20),
      triplets,
    );
    // The symmetric loss differs from the plain one (the backward term is really there).
    expect(
      Math.abs(
        value - refMnrl(triplets[0] as Matrix, triplets[1] as Matrix, [triplets[2] as Matrix], 20),
      ),
    ).toBeGreaterThan(1e-3);
  });

  const labels = [1, 0, 1, 0, 0, 1, 1, 0];
  it.each<[SiameseDistance, number, boolean]>([
    ['cosine', 0.5, true],
    ['cosine', 1.2, false],
    ['euclidean', 1.0, true],
    ['manhattan', 2.0, true],
  ])(
    'ContrastiveLoss, %s distance, margin %s, size_average %s',
    (distance, margin, sizeAverage) => {
      const inputs = [fixedMatrix(8, DIMS, 31), fixedMatrix(8, DIMS, 32)];
      expectMatches(
        ([a, b]) =>
          contrastiveLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, {
            margin,
            distance,
            sizeAverage,
          }),
        ([a, b]) => refContrastive(a as Matrix, b as Matrix, labels, margin, distance, sizeAverage),
        inputs,
      );
    },
  );

  it('OnlineContrastiveLoss keeps only the hard pairs', () => {
    const a = fixedMatrix(8, DIMS, 41);
    const noise = fixedMatrix(8, DIMS, 43);
    // Pair 0 (similar) nearly identical: an easy positive. Pair 1 (dissimilar) opposite: an easy
    // negative. The other pairs are random.
    const b = fixedMatrix(8, DIMS, 42).map((row, r) => {
      const base = a[r] as number[];
      const jitter = noise[r] as number[];
      if (r === 0) return base.map((v, c) => v + 0.05 * (jitter[c] as number));
      if (r === 1) return base.map((v, c) => -v + 0.05 * (jitter[c] as number));
      return row;
    });
    const inputs = [a, b];
    const margin = 1.1;
    const selected = refOnlineContrastive(inputs[0] as Matrix, inputs[1] as Matrix, labels, margin);
    // The data must exercise the selection: some but not all pairs on each side are hard.
    expect(selected.hardPositives).toBeGreaterThan(0);
    expect(selected.hardPositives).toBeLessThan(4);
    expect(selected.hardNegatives).toBeGreaterThan(0);
    expect(selected.hardNegatives).toBeLessThan(4);
    const { grads } = expectMatches(
      ([a, b]) => onlineContrastiveLoss(a as tf.Tensor2D, b as tf.Tensor2D, labels, { margin }),
      ([a, b]) => refOnlineContrastive(a as Matrix, b as Matrix, labels, margin).loss,
      inputs,
    );
    // Easy pairs get no gradient at all.
    const easyRows = grads[0]?.filter((row) => row.every((v) => v === 0)).length ?? 0;
    expect(easyRows).toBe(8 - selected.hardPositives - selected.hardNegatives);
  });

  it('OnlineContrastiveLoss with a single positive uses the mean thresholds', () => {
    const single = [0, 0, 1, 0];
    const inputs = [fixedMatrix(4, DIMS, 51), fixedMatrix(4, DIMS, 52)];
    expectMatches(
      ([a, b]) =>
        onlineContrastiveLoss(a as tf.Tensor2D, b as tf.Tensor2D, single, { margin: 1.5 }),
      ([a, b]) => refOnlineContrastive(a as Matrix, b as Matrix, single, 1.5).loss,
      inputs,
    );
  });

  it('CosineSimilarityLoss', () => {
    const scores = [0, 0.2, 0.4, 0.6, 0.8, 1];
    const inputs = [fixedMatrix(6, DIMS, 61), fixedMatrix(6, DIMS, 62)];
    expectMatches(
      ([a, b]) => cosineSimilarityLoss(a as tf.Tensor2D, b as tf.Tensor2D, scores),
      ([a, b]) => refCosineLoss(a as Matrix, b as Matrix, scores),
      inputs,
    );
  });
});
