import * as tf from '@tensorflow/tfjs';
import type { EncoderActivation } from './config.ts';

/** y = x · Wᵀ + b with W kept in PyTorch's [out, in] layout, as model.safetensors stores it. */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor {
  const inSize = weight.shape[1];
  const outSize = weight.shape[0];
  const rows = x.reshape([-1, inSize]) as tf.Tensor2D;
  const y = tf.add(matMulTransposedB(rows, weight), bias);
  return y.reshape([...x.shape.slice(0, -1), outSize]);
}

/**
 * x · Wᵀ for 2-D tensors, forward and backward, with plain (untransposed) matMuls only. TF.js
 * 4.22's wasm backend sends 2-D matMuls to XNNPACK only without transpose flags; with them it takes
 * a naive loop about 10× slower (512×1536·1536×384: 36 ms vs 430–640 ms here). The gradients TF.js
 * derives for a flagged matMul use flags too, so both directions are spelled out here.
 */
const matMulTransposedB = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, weight, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, weight]);
  return {
    value: tf.matMul(x, tf.transpose(weight)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedX, savedWeight] = saved as [tf.Tensor2D, tf.Tensor2D];
      // d/dx = dy · W;  d/dW = dyᵀ · x  (both [rows, in] / [out, in]).
      return [
        tf.matMul(dy as tf.Tensor2D, savedWeight),
        tf.matMul(tf.transpose(dy as tf.Tensor2D), savedX),
      ];
    },
  };
}) as (x: tf.Tensor2D, weight: tf.Tensor2D) => tf.Tensor2D;

/** LayerNorm over the last axis with the biased variance, as torch.nn.LayerNorm. */
export function layerNorm(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): tf.Tensor {
  const axis = x.rank - 1;
  const mean = tf.mean(x, axis, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axis, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export function activation(x: tf.Tensor, kind: EncoderActivation): tf.Tensor {
  if (kind === 'gelu') return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
  // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), HF's NewGELUActivation.
  const inner = tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), SQRT_2_OVER_PI);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}

/**
 * Inverted dropout (kept values scaled by 1/(1−rate)) as torch.nn.Dropout in training mode. The
 * mask comes from TF.js's seeded generator on the CPU side, so a seed gives the same mask on
 * every backend.
 */
export function dropout(x: tf.Tensor, rate: number, seed: string | undefined): tf.Tensor {
  if (rate === 0) return x;
  return tf.dropout(x, rate, undefined, seed);
}
