import * as tf from '@tensorflow/tfjs';
import type { TrainingSection } from '../config/types.ts';
import { AdamW, clipByGlobalNorm } from './adamw.ts';

/** A scalar tensor's value, read with `await data()` (safe on webgpu). */
export async function scalarOf(tensor: tf.Tensor): Promise<number> {
  return Number((await tensor.data())[0] ?? Number.NaN);
}

/** AdamW over `params` with the training section's betas, epsilon and weight decay. */
export function adamWFor(
  params: ReadonlyMap<string, tf.Variable>,
  training: Pick<TrainingSection, 'adam_beta1' | 'adam_beta2' | 'adam_epsilon' | 'weight_decay'>,
): AdamW {
  return new AdamW(params, {
    beta1: training.adam_beta1,
    beta2: training.adam_beta2,
    epsilon: training.adam_epsilon,
    weightDecay: training.weight_decay,
  });
}

/** The variables an optimizer step differentiates, and their HF names by TF.js variable name. */
export interface ParamIndex {
  list: tf.Variable[];
  nameOf: ReadonlyMap<string, string>;
}

export function paramIndex(params: ReadonlyMap<string, tf.Variable>): ParamIndex {
  return {
    list: [...params.values()],
    nameOf: new Map([...params].map(([name, variable]) => [variable.name, name])),
  };
}

/**
 * One optimizer step's gradient built from its micro-batches. As HF's Trainer, each micro-batch's
 * mean loss is divided by the accumulation count: the step's gradient is the mean of the
 * micro-batch gradients.
 */
export class StepGradients {
  private readonly sum = new Map<string, tf.Tensor>();

  constructor(
    private readonly params: ParamIndex,
    private readonly microBatches: number,
  ) {}

  /**
   * Differentiates one micro-batch's loss and adds its share to the step's gradient; returns the
   * loss, which the caller disposes.
   */
  backward(loss: () => tf.Scalar): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, this.params.list);
    for (const [id, grad] of Object.entries(grads)) {
      const name = this.params.nameOf.get(id);
      if (!name) continue;
      const scaled = tf.mul(grad, 1 / this.microBatches);
      const previous = this.sum.get(name);
      if (previous) {
        this.sum.set(name, tf.add(previous, scaled));
        tf.dispose([previous, scaled]);
      } else this.sum.set(name, scaled);
    }
    tf.dispose(Object.values(grads));
    return value;
  }

  /** Clips by global norm, updates at `lr` and frees the sums; the norm before clipping. */
  async apply(optimizer: AdamW, lr: number, maxGradNorm: number): Promise<number> {
    const { norm, clipped } = clipByGlobalNorm(this.sum, maxGradNorm);
    optimizer.apply(clipped, lr);
    const gradNorm = await scalarOf(norm);
    tf.dispose([norm, ...clipped.values(), ...this.sum.values()]);
    this.sum.clear();
    return gradNorm;
  }
}
