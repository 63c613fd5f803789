import * as tf from '@tensorflow/tfjs';
import type { BertEncoder, ForwardOptions } from '../bert/encoder.ts';
import { forwardTokenBatch } from '../bert/forward-batch.ts';
import type { MlmHead } from './head.ts';
import { IGNORE_LABEL } from './masking.ts';

export interface MaskedBatch {
  inputIds: readonly (readonly number[])[];
  attentionMask: readonly (readonly number[])[];
  tokenTypeIds?: readonly (readonly number[])[];
  /** Original ids at chosen positions, {@link IGNORE_LABEL} elsewhere (see `maskTokens`). */
  labels: readonly (readonly number[])[];
}

export interface MaskedPositions {
  /** Flat indices b·seq + s of the labelled positions, row-major. */
  positions: Int32Array;
  targets: Int32Array;
}

export function maskedPositions(labels: readonly (readonly number[])[]): MaskedPositions {
  const positions: number[] = [];
  const targets: number[] = [];
  const seq = labels[0]?.length ?? 0;
  labels.forEach((row, b) => {
    if (row.length !== seq)
      throw new RangeError(`labels row ${b} has length ${row.length}, not ${seq}`);
    row.forEach((label, s) => {
      if (label === IGNORE_LABEL) return;
      positions.push(b * seq + s);
      targets.push(label);
    });
  });
  return { positions: Int32Array.from(positions), targets: Int32Array.from(targets) };
}

/**
 * Vocabulary logits [masked, vocab] at the labelled positions only: the head never runs on the
 * other ~85 %, which saves most of the vocabulary projection.
 */
export function mlmLogits(
  encoder: BertEncoder,
  head: MlmHead,
  batch: MaskedBatch,
  positions: Int32Array,
  options: ForwardOptions = {},
): tf.Tensor2D {
  return tf.tidy(() => {
    const { hidden } = forwardTokenBatch(encoder, batch, options);
    const rows = hidden.reshape([-1, encoder.config.hiddenSize]) as tf.Tensor2D;
    return head.logits(tf.gather(rows, tf.tensor1d(positions, 'int32')));
  });
}

/** Mean over rows of −log softmax(logits)[target]: PyTorch's CrossEntropyLoss (mean reduction). */
export function crossEntropy(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const picked = tf.sum(
      tf.mul(logProbs, tf.oneHot(tf.tensor1d(targets, 'int32'), logits.shape[1])),
      1,
    );
    return tf.neg(tf.mean(picked)) as tf.Scalar;
  });
}

/**
 * The MLM loss of a masked batch: cross-entropy over the labelled positions only, as HF's
 * BertForMaskedLM with labels −100 elsewhere. Throws when no position is labelled (HF gives NaN).
 */
export function mlmLoss(
  encoder: BertEncoder,
  head: MlmHead,
  batch: MaskedBatch,
  options: ForwardOptions = {},
): tf.Scalar {
  const { positions, targets } = maskedPositions(batch.labels);
  if (positions.length === 0) throw new RangeError('The batch has no masked position to predict');
  return tf.tidy(() => crossEntropy(mlmLogits(encoder, head, batch, positions, options), targets));
}
