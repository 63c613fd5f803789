import type * as tf from '@tensorflow/tfjs';
import type { BertEncoder, ForwardOptions } from './encoder.ts';
import { tokenBatchTensors, type TokenBatch } from './inputs.ts';

export interface ForwardedBatch {
  /** Last hidden state [batch, seq, hidden]. */
  hidden: tf.Tensor3D;
  /** The batch's int32 attention mask [batch, seq], for pooling over real tokens. */
  attentionMask: tf.Tensor2D;
}

/**
 * Runs the encoder on a padded token batch. Call inside tf.tidy: the input tensors it makes are
 * left for the surrounding scope to dispose.
 */
export function forwardTokenBatch(
  encoder: BertEncoder,
  batch: TokenBatch,
  options: ForwardOptions = {},
): ForwardedBatch {
  const inputs = tokenBatchTensors(batch);
  const hidden = encoder.forward(
    inputs.inputIds,
    inputs.attentionMask,
    inputs.tokenTypeIds,
    options,
  );
  return { hidden, attentionMask: inputs.attentionMask };
}
