import * as tf from '@tensorflow/tfjs';
import { checkLabels, pairedCosineSimilarity } from './similarity.ts';

/**
 * sentence-transformers' CosineSimilarityLoss: mean squared error between cos(a_i, b_i) and the
 * gold score of pair i (already normalised to the cosine's range, e.g. STS 0–5 → 0–1).
 */
export function cosineSimilarityLoss(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  scores: readonly number[],
): tf.Scalar {
  checkLabels(scores, a.shape[0], 'scores');
  return tf.tidy(
    () =>
      tf.mean(
        tf.square(tf.sub(pairedCosineSimilarity(a, b), tf.tensor1d([...scores], 'float32'))),
      ) as tf.Scalar,
  );
}
