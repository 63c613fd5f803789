import * as tf from '@tensorflow/tfjs';
import { checkSameShape, cosineSimilarityMatrix } from './similarity.ts';

export interface RankingEmbeddings {
  /** [batch, dims]. */
  anchors: tf.Tensor2D;
  /** [batch, dims]: row i is the positive of anchor i and a negative of every other anchor. */
  positives: tf.Tensor2D;
  /** Hard negatives, each [batch, dims]: every row is a candidate for every anchor. */
  negatives?: readonly tf.Tensor2D[];
}

export interface RankingLossOptions {
  /** Multiplies the cosine similarities before the softmax; sentence-transformers' default 20. */
  scale?: number;
}

export const DEFAULT_RANKING_SCALE = 20;

/** Mean cross entropy of each row of `scores` against the target column `i` of row `i`. */
function diagonalCrossEntropy(scores: tf.Tensor2D): tf.Scalar {
  const [rows, columns] = scores.shape;
  const targets = tf.eye(rows, columns);
  return tf.neg(tf.div(tf.sum(tf.mul(tf.logSoftmax(scores, 1), targets)), rows)) as tf.Scalar;
}

/** scale · cos(anchor, candidate) over the positives then each block of hard negatives. */
function rankingScores(embeddings: RankingEmbeddings, scale: number): tf.Tensor2D {
  const { anchors, positives, negatives = [] } = embeddings;
  checkSameShape(anchors, positives);
  for (const block of negatives) checkSameShape(anchors, block);
  const candidates = negatives.length > 0 ? tf.concat([positives, ...negatives], 0) : positives;
  return tf.mul(cosineSimilarityMatrix(anchors, candidates), scale) as tf.Tensor2D;
}

/**
 * sentence-transformers' MultipleNegativesRankingLoss: for each anchor, cross entropy of picking
 * its own positive among all positives of the batch (in-batch negatives) and all hard negatives.
 */
export function multipleNegativesRankingLoss(
  embeddings: RankingEmbeddings,
  { scale = DEFAULT_RANKING_SCALE }: RankingLossOptions = {},
): tf.Scalar {
  return tf.tidy(() => diagonalCrossEntropy(rankingScores(embeddings, scale)));
}

/**
 * sentence-transformers' MultipleNegativesSymmetricRankingLoss: the mean of the forward loss
 * (anchor → candidates, hard negatives included) and the backward loss (positive → anchors).
 */
export function multipleNegativesSymmetricRankingLoss(
  embeddings: RankingEmbeddings,
  { scale = DEFAULT_RANKING_SCALE }: RankingLossOptions = {},
): tf.Scalar {
  return tf.tidy(() => {
    const scores = rankingScores(embeddings, scale);
    const batch = embeddings.anchors.shape[0];
    const forward = diagonalCrossEntropy(scores);
    const backward = diagonalCrossEntropy(
      tf.transpose(tf.slice(scores, [0, 0], [batch, batch])) as tf.Tensor2D,
    );
    return tf.div(tf.add(forward, backward), 2) as tf.Scalar;
  });
}
