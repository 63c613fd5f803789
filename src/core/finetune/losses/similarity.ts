import * as tf from '@tensorflow/tfjs';

/** torch's F.normalize clamps the norm at this, so a zero vector stays zero instead of NaN. */
const NORMALIZE_EPS = 1e-12;

/** Rows scaled to unit L2 length, as torch.nn.functional.normalize(x, p=2, dim=1). */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const norms = tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), NORMALIZE_EPS);
    return tf.div(x, norms) as tf.Tensor2D;
  });
}

/** Cosine similarity of every row of `a` with every row of `b`: [a rows, b rows] (util.cos_sim). */
export function cosineSimilarityMatrix(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(l2NormalizeRows(a), l2NormalizeRows(b), false, true));
}

/** Cosine similarity of row i of `a` with row i of `b`: [rows] (F.cosine_similarity). */
export function pairedCosineSimilarity(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  checkSameShape(a, b);
  return tf.tidy(() => tf.sum(tf.mul(l2NormalizeRows(a), l2NormalizeRows(b)), 1) as tf.Tensor1D);
}

export function checkSameShape(a: tf.Tensor, b: tf.Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((size, i) => size !== b.shape[i])) {
    throw new RangeError(
      `Embeddings must have the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`,
    );
  }
}

export function checkLabels(labels: readonly number[], rows: number, what: string): void {
  if (labels.length !== rows) {
    throw new RangeError(`${labels.length} ${what} for ${rows} pairs`);
  }
  if (!labels.every(Number.isFinite)) throw new RangeError(`${what} must be finite numbers`);
}
