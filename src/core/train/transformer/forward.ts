import type * as tf from '@tensorflow/tfjs';
import { dropout } from './layers.ts';

export interface ForwardOptions {
  /** Dropout on (training) or off (inference, deterministic); default off. */
  training?: boolean;
  /** Seeds the dropout masks: the same seed gives the same masks on every backend. */
  seed?: number;
}

export type Dropout = (x: tf.Tensor, rate: number) => tf.Tensor;

/**
 * The dropout of one forward pass: identity unless training; each call is its own site with its
 * own stream under the pass's seed, so call order fixes which mask a site gets.
 */
export function forwardDropout(options: ForwardOptions): Dropout {
  if (!(options.training ?? false)) return (x) => x;
  let site = 0;
  return (x, rate) =>
    dropout(x, rate, options.seed === undefined ? undefined : `${options.seed}:${site++}`);
}

/** Throws unless the mask matches the ids and the sequence fits the position table. */
export function checkForwardInputs(
  inputIds: tf.Tensor2D,
  attentionMask: tf.Tensor2D,
  maxPositions: number,
  maxPositionsName: string,
): void {
  const [batch, seq] = inputIds.shape;
  if (attentionMask.shape[0] !== batch || attentionMask.shape[1] !== seq) {
    throw new RangeError(
      `attention mask shape [${attentionMask.shape.join(', ')}] differs from input ids [${batch}, ${seq}]`,
    );
  }
  if (seq > maxPositions) {
    throw new RangeError(`Sequence length ${seq} exceeds ${maxPositionsName} ${maxPositions}`);
  }
}
