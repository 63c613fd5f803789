import * as tf from '@tensorflow/tfjs';
import { matMulPlain, matMulTransposedB } from './matmul.ts';

/** The GELU variants HF configs name: exact erf GELU, or the tanh approximation (two names). */
export type GeluVariant = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh';

/** y = x · Wᵀ + b with W kept in PyTorch's [out, in] layout (BERT's nn.Linear). */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor {
  const inSize = weight.shape[1];
  const outSize = weight.shape[0];
  const rows = x.reshape([-1, inSize]) as tf.Tensor2D;
  const y = tf.add(matMulTransposedB(rows, weight), bias);
  return y.reshape([...x.shape.slice(0, -1), outSize]);
}

/** GPT-2's Conv1D: x · W + b with W stored [in, out], as its model.safetensors holds it. */
export function conv1d(x: tf.Tensor, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor {
  const [inSize, outSize] = weight.shape;
  const rows = x.reshape([-1, inSize]) as tf.Tensor2D;
  return tf.add(matMulPlain(rows, weight), bias).reshape([...x.shape.slice(0, -1), outSize]);
}

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

export function activation(x: tf.Tensor, kind: GeluVariant): tf.Tensor {
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
