import type * as tf from '@tensorflow/tfjs';
import type { BertWeights } from '../../model/init.ts';
import type { SeededRandom } from '../../model/seeded-random.ts';
import type { ForwardOptions } from '../bert/encoder.ts';

/** Rows of a sequence set as the loop hands them to an objective. */
export interface BatchRows {
  inputIds: number[][];
  attentionMask: number[][];
}

/** One prepared batch: its inputs fixed (masking drawn), its forward pass still to run. */
export interface ObjectiveBatch {
  /** Predicted positions: the denominator of the batch's mean loss. */
  count: number;
  /**
   * The mean loss over the predicted positions and the number of arg-max hits among them. Runs
   * inside `tf.variableGrads` (training) or `tf.tidy` (evaluation).
   */
  forward(options: ForwardOptions): { loss: tf.Scalar; correct: tf.Scalar };
}

/**
 * What the training loop needs from a model and its objective (MLM for the encoder, next-token
 * prediction for the decoder); the loop owns the optimizer, schedule, clipping, accumulation,
 * evaluation, early stopping and checkpoints.
 */
export interface TrainObjective {
  /** Everything the optimizer updates, by HF name. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /**
   * A batch from its rows; `random` is the batch's own stream (MLM draws its masking from it).
   * null when the batch has nothing to predict.
   */
  batch(rows: BatchRows, random: SeededRandom): ObjectiveBatch | null;
  /** Every weight (trainable or not) under its HF name, as checkpoints store it. */
  readWeights(): Promise<BertWeights>;
  /** Puts weights from {@link readWeights} back into the variables. */
  assignWeights(weights: BertWeights): void;
}

/** A model built for a run: its objective, the extra tensors of the file it was loaded from. */
export interface ObjectiveModel {
  objective: TrainObjective;
  /** Tensors of the loaded blob besides the model's own: optimizer moments, best weights. */
  rest: BertWeights;
  dispose(): void;
}
