import * as tf from '@tensorflow/tfjs';
import type { BertWeights } from '../../model/init.ts';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/**
 * HF's `no_decay = ["bias", "LayerNorm.weight"]`: biases and LayerNorm gains are not decayed.
 * GPT-2 names its LayerNorms `ln_1`, `ln_2`, `ln_f`; HF's Trainer finds those by module type.
 */
export function decays(name: string): boolean {
  return (
    !name.endsWith('bias') &&
    !name.includes('LayerNorm.weight') &&
    !/(?:^|\.)ln_(?:1|2|f)\.weight$/.test(name)
  );
}

/**
 * A variable of zeros shaped like `like`. tf.variable keeps its initial tensor registered (it
 * shares the data), so that tensor is disposed here or it would outlive the variable.
 */
function zeroVariable(like: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(like);
  const variable = tf.variable(zeros, false);
  zeros.dispose();
  return variable;
}

/**
 * AdamW (Loshchilov & Hutter) as torch.optim.AdamW: weight decay applied to the weights
 * directly (p ← p − lr·λ·p), then the bias-corrected Adam step. Hand-written rather than
 * `tf.train.adam` because that optimizer couples L2 decay into the gradient (no decoupled decay),
 * and its moments sit in internal variables whose names and step count are not meant to be saved
 * and restored bit for bit; here the moments are plain named variables, so a checkpoint holds
 * them exactly and a resumed run continues the same trajectory.
 */
export class AdamW {
  /** Optimizer steps taken so far (t in the bias correction). */
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: ReadonlyMap<string, tf.Variable>,
    private readonly options: AdamWOptions,
  ) {
    for (const [name, param] of params) {
      this.m.set(name, zeroVariable(param));
      this.v.set(name, zeroVariable(param));
    }
  }

  /** One update with these gradients (by parameter name) at learning rate `lr`. */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    const correction1 = 1 - beta1 ** this.step;
    const correction2 = 1 - beta2 ** this.step;
    // torch: p −= (lr / c1) · m / (√v / √c2 + ε)
    const stepSize = lr / correction1;
    const sqrtC2 = Math.sqrt(correction2);
    for (const [name, param] of this.params) {
      const grad = grads.get(name);
      if (!grad) continue;
      const m = this.m.get(name);
      const v = this.v.get(name);
      if (!m || !v) throw new RangeError(`AdamW has no moments for "${name}"`);
      tf.tidy(() => {
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2));
        m.assign(m1);
        v.assign(v1);
        const decayed =
          decays(name) && weightDecay > 0 ? tf.mul(param, 1 - lr * weightDecay) : param;
        const denom = tf.add(tf.div(tf.sqrt(v1), sqrtC2), epsilon);
        param.assign(tf.sub(decayed, tf.mul(tf.div(m1, denom), stepSize)));
      });
    }
  }

  /** The moments as float32 tensors named `optimizer.m.<param>` and `optimizer.v.<param>`. */
  async readState(): Promise<BertWeights> {
    const out: BertWeights = new Map();
    for (const [kind, moments] of [
      ['m', this.m],
      ['v', this.v],
    ] as const) {
      for (const [name, variable] of moments) {
        const data = Float32Array.from((await variable.data()) as Float32Array);
        out.set(`optimizer.${kind}.${name}`, { dtype: 'F32', shape: [...variable.shape], data });
      }
    }
    return out;
  }

  /** Restores moments written by {@link readState} and the step count. */
  loadState(tensors: BertWeights, step: number): void {
    for (const [kind, moments] of [
      ['m', this.m],
      ['v', this.v],
    ] as const) {
      for (const [name, variable] of moments) {
        const tensor = tensors.get(`optimizer.${kind}.${name}`);
        if (!tensor) throw new RangeError(`Checkpoint has no optimizer.${kind}.${name}`);
        if (tensor.shape.join(',') !== variable.shape.join(',')) {
          throw new RangeError(`optimizer.${kind}.${name} has the wrong shape`);
        }
        tf.tidy(() => variable.assign(tf.tensor(tensor.data, tensor.shape, 'float32')));
      }
    }
    this.step = step;
  }

  dispose(): void {
    for (const variable of [...this.m.values(), ...this.v.values()]) variable.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`, as torch's clip_grad_norm_
 * (factor maxNorm / (norm + 1e-6), never above 1). Returns the norm before clipping and the
 * gradients, new tensors the caller disposes; `maxNorm` 0 only measures.
 */
export function clipByGlobalNorm(
  grads: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number,
): { norm: tf.Scalar; clipped: Map<string, tf.Tensor> } {
  const names = [...grads.keys()];
  const [norm, ...scaled] = tf.tidy(() => {
    // Pairwise adds, not tf.addN: TF.js 4.22's webgpu AddN returned 0 for this many inputs
    // (more than a shader's storage-buffer bindings), which silently disabled clipping.
    let squares: tf.Tensor = tf.scalar(0);
    for (const g of grads.values()) squares = tf.add(squares, tf.sum(tf.square(g)));
    const total = tf.sqrt(squares) as tf.Scalar;
    const factor = maxNorm > 0 ? tf.minimum(tf.div(maxNorm, tf.add(total, 1e-6)), 1) : tf.scalar(1);
    return [total, ...[...grads.values()].map((g) => tf.mul(g, factor))];
  });
  const clipped = new Map<string, tf.Tensor>();
  names.forEach((name, i) => {
    const grad = scaled[i];
    if (grad) clipped.set(name, grad);
  });
  return { norm: norm as tf.Scalar, clipped };
}
