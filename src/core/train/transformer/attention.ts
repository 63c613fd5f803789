import * as tf from '@tensorflow/tfjs';
import type { Dropout } from './forward.ts';

/**
 * Added to the scores of keys a query may not see (padding, later positions). HF adds
 * finfo(float32).min; any value this negative gives exp(·) = 0 in float32 just the same, and −1e9
 * cannot overflow to −∞ should a backend compute in lower precision.
 */
export const MASKED_SCORE = -1e9;

/** Additive mask [batch, 1, 1, seq] hiding padded keys (0/1 mask [batch, seq]), as HF BERT's. */
export function paddingMaskAdd(attentionMask: tf.Tensor2D): tf.Tensor4D {
  const [batch, seq] = attentionMask.shape;
  return tf.mul(tf.sub(1, attentionMask.toFloat()), MASKED_SCORE).reshape([batch, 1, 1, seq]);
}

/** Additive mask [batch, 1, seq, seq]: query i sees key j when j ≤ i and j is not padding. */
export function causalMaskAdd(attentionMask: tf.Tensor2D): tf.Tensor4D {
  const [batch, seq] = attentionMask.shape;
  const causal = tf.linalg.bandPart(tf.ones([seq, seq]), -1, 0).reshape([1, 1, seq, seq]);
  const allowed = tf.mul(causal, attentionMask.toFloat().reshape([batch, 1, 1, seq]));
  return tf.mul(tf.sub(1, allowed), MASKED_SCORE);
}

export interface AttentionOptions {
  heads: number;
  /** Added to the scores [batch, heads, seq, seq] before the softmax; broadcast as needed. */
  maskAdd: tf.Tensor;
  drop: Dropout;
  /** Dropout rate on the attention probabilities. */
  probsDropout: number;
}

/**
 * Scaled dot-product attention over `heads` heads of already projected query, key and value
 * [batch, seq, hidden]; returns the merged context [batch, seq, hidden] before the output
 * projection (BERT's attention.self, GPT-2's GPT2Attention._attn).
 */
export function multiHeadAttention(
  query: tf.Tensor,
  key: tf.Tensor,
  value: tf.Tensor,
  { heads, maskAdd, drop, probsDropout }: AttentionOptions,
): tf.Tensor3D {
  const [batch, seq, hidden] = query.shape as [number, number, number];
  const headSize = hidden / heads;
  const split = (t: tf.Tensor) => t.reshape([batch, seq, heads, headSize]).transpose([0, 2, 1, 3]);
  const scores = tf.add(
    tf.div(tf.matMul(split(query), split(key), false, true), Math.sqrt(headSize)),
    maskAdd,
  );
  const probs = drop(tf.softmax(scores, -1), probsDropout);
  return tf
    .matMul(probs, split(value))
    .transpose([0, 2, 1, 3])
    .reshape([batch, seq, hidden]) as tf.Tensor3D;
}
