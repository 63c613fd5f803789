import * as tf from '@tensorflow/tfjs';
import { checkLabels, checkSameShape, pairedCosineSimilarity } from './similarity.ts';

/** sentence-transformers' SiameseDistanceMetric. */
export type SiameseDistance = 'cosine' | 'euclidean' | 'manhattan';

export interface ContrastiveLossOptions {
  /** Negative pairs closer than this are pushed apart; default 0.5. */
  margin?: number;
  /** Default `cosine`: 1 − cos(a, b). */
  distance?: SiameseDistance;
  /** Mean over pairs (default) or sum. */
  sizeAverage?: boolean;
}

export const DEFAULT_CONTRASTIVE_MARGIN = 0.5;
/** F.pairwise_distance adds eps to the difference before taking its norm. */
const PAIRWISE_EPS = 1e-6;

/** Distance of row i of `a` to row i of `b`: [rows]. */
export function siameseDistance(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  distance: SiameseDistance,
): tf.Tensor1D {
  checkSameShape(a, b);
  return tf.tidy(() => {
    if (distance === 'cosine') return tf.sub(1, pairedCosineSimilarity(a, b)) as tf.Tensor1D;
    const difference = tf.add(tf.sub(a, b), PAIRWISE_EPS);
    if (distance === 'manhattan') return tf.sum(tf.abs(difference), 1) as tf.Tensor1D;
    return tf.sqrt(tf.sum(tf.square(difference), 1)) as tf.Tensor1D;
  });
}

function labelTensor(labels: readonly number[], rows: number): tf.Tensor1D {
  checkLabels(labels, rows, 'labels');
  if (labels.some((label) => label !== 0 && label !== 1)) {
    throw new RangeError('Contrastive losses need labels of 0 (dissimilar) or 1 (similar)');
  }
  return tf.tensor1d([...labels], 'float32');
}

/**
 * sentence-transformers' ContrastiveLoss (Hadsell et al. 2006):
 * ½·(y·d² + (1 − y)·relu(margin − d)²), averaged over the pairs (or summed).
 */
export function contrastiveLoss(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  labels: readonly number[],
  {
    margin = DEFAULT_CONTRASTIVE_MARGIN,
    distance = 'cosine',
    sizeAverage = true,
  }: ContrastiveLossOptions = {},
): tf.Scalar {
  return tf.tidy(() => {
    const y = labelTensor(labels, a.shape[0]);
    const d = siameseDistance(a, b, distance);
    const losses = tf.mul(
      0.5,
      tf.add(tf.mul(y, tf.square(d)), tf.mul(tf.sub(1, y), tf.square(tf.relu(tf.sub(margin, d))))),
    );
    return (sizeAverage ? tf.mean(losses) : tf.sum(losses)) as tf.Scalar;
  });
}

type CustomGradInput = Parameters<Parameters<typeof tf.customGrad>[0]>[number];

/**
 * A 0/1 mask of `compare(x, threshold)` that gradients pass by: the comparison only selects
 * terms, as boolean indexing does in PyTorch, and TF.js has no gradient for comparisons.
 */
function selection(
  compare: (x: tf.Tensor, threshold: tf.Tensor) => tf.Tensor,
): (x: tf.Tensor, threshold: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...inputs: CustomGradInput[]) => {
    const [x, threshold] = inputs as [tf.Tensor, tf.Tensor];
    return {
      value: tf.cast(compare(x, threshold), 'float32'),
      gradFunc: () => [tf.zerosLike(x), tf.zerosLike(threshold)],
    };
  });
}
const selectLess = selection((x, threshold) => tf.less(x, threshold));
const selectGreater = selection((x, threshold) => tf.greater(x, threshold));

export interface OnlineContrastiveLossOptions {
  margin?: number;
  distance?: SiameseDistance;
}

/**
 * sentence-transformers' OnlineContrastiveLoss: only the hard pairs count, summed (not averaged):
 * positives farther apart than the closest negative, d², and negatives closer than the farthest
 * positive, relu(margin − d)². With fewer than two pairs on the other side, the threshold is the
 * mean distance of the pair's own side, as there.
 */
export function onlineContrastiveLoss(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  labels: readonly number[],
  { margin = DEFAULT_CONTRASTIVE_MARGIN, distance = 'cosine' }: OnlineContrastiveLossOptions = {},
): tf.Scalar {
  labelTensor(labels, a.shape[0]).dispose();
  const positiveRows = labels.flatMap((label, i) => (label === 1 ? [i] : []));
  const negativeRows = labels.flatMap((label, i) => (label === 0 ? [i] : []));
  return tf.tidy(() => {
    const d = siameseDistance(a, b, distance);
    const poss = tf.gather(d, positiveRows);
    const negs = tf.gather(d, negativeRows);
    let loss: tf.Scalar = tf.scalar(0);
    if (positiveRows.length > 0) {
      const threshold = negativeRows.length > 1 ? tf.min(negs) : tf.mean(poss);
      const hard = selectGreater(poss, threshold);
      loss = tf.add(loss, tf.sum(tf.mul(hard, tf.square(poss))));
    }
    if (negativeRows.length > 0) {
      const threshold = positiveRows.length > 1 ? tf.max(poss) : tf.mean(negs);
      const hard = selectLess(negs, threshold);
      loss = tf.add(loss, tf.sum(tf.mul(hard, tf.square(tf.relu(tf.sub(margin, negs))))));
    }
    return loss;
  });
}
