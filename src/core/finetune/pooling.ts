import * as tf from '@tensorflow/tfjs';
import type { BertEncoder, ForwardOptions } from '../train/bert/encoder.ts';
import { forwardTokenBatch } from '../train/bert/forward-batch.ts';
import type { TokenBatch } from '../train/bert/inputs.ts';
import { l2NormalizeRows } from './losses/similarity.ts';

export type PoolingMode = 'mean' | 'cls';

/** sentence-transformers' Pooling (mean or CLS token) plus its optional Normalize module. */
export interface PoolingOptions {
  mode: PoolingMode;
  normalize: boolean;
}

/** all-MiniLM-L6-v2 and most sentence-transformers models: masked mean, then L2 normalisation. */
export const DEFAULT_POOLING: PoolingOptions = { mode: 'mean', normalize: true };

/** Pooling's clamp of the token count, so a row with no tokens gives zeros, not NaN. */
const MIN_TOKEN_COUNT = 1e-9;

/** Sentence embeddings [batch, hidden] from the last hidden state [batch, seq, hidden]. */
export function poolHiddenStates(
  hidden: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
  { mode, normalize }: PoolingOptions,
): tf.Tensor2D {
  return tf.tidy(() => {
    let pooled: tf.Tensor2D;
    if (mode === 'cls') {
      const [batch, , size] = hidden.shape;
      pooled = tf.slice(hidden, [0, 0, 0], [batch, 1, size]).reshape([batch, size]);
    } else {
      const mask = tf.expandDims(
        attentionMask.dtype === 'float32' ? attentionMask : tf.cast(attentionMask, 'float32'),
        2,
      );
      const summed = tf.sum(tf.mul(hidden, mask), 1);
      pooled = tf.div(summed, tf.maximum(tf.sum(mask, 1), MIN_TOKEN_COUNT)) as tf.Tensor2D;
    }
    return normalize ? l2NormalizeRows(pooled) : pooled;
  });
}

/**
 * Runs the encoder on a padded token batch and pools it: [batch, hidden]. Differentiable, so a
 * loss built on it trains the encoder under tf.variableGrads; the caller owns the result.
 */
export function embedBatch(
  encoder: BertEncoder,
  batch: TokenBatch,
  pooling: PoolingOptions,
  forward: ForwardOptions = {},
): tf.Tensor2D {
  return tf.tidy(() => {
    const { hidden, attentionMask } = forwardTokenBatch(encoder, batch, forward);
    return poolHiddenStates(hidden, attentionMask, pooling);
  });
}
