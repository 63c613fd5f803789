import * as tf from '@tensorflow/tfjs';

/**
 * x · W for 2-D tensors with both gradients spelled out as untransposed matMuls. TF.js 4.22's
 * wasm backend sends only flag-free 2-D matMuls to XNNPACK (see bert/layers.ts); the gradient it
 * derives for x · W itself uses a transpose flag (dy · Wᵀ), which takes a loop about 10× slower.
 */
const matMulPlain = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, weight, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, weight]);
  return {
    value: tf.matMul(x, weight),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedX, savedWeight] = saved as [tf.Tensor2D, tf.Tensor2D];
      // d/dx = dy · Wᵀ;  d/dW = xᵀ · dy.
      return [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(savedWeight)),
        tf.matMul(tf.transpose(savedX), dy as tf.Tensor2D),
      ];
    },
  };
}) as (x: tf.Tensor2D, weight: tf.Tensor2D) => tf.Tensor2D;

/** x · Wᵀ for 2-D tensors (the tied output head: W is the [vocab, d] token embedding). */
const matMulTransposed = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, weight, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, weight]);
  return {
    value: tf.matMul(x, tf.transpose(weight)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedX, savedWeight] = saved as [tf.Tensor2D, tf.Tensor2D];
      // d/dx = dy · W;  d/dW = dyᵀ · x.
      return [
        tf.matMul(dy as tf.Tensor2D, savedWeight),
        tf.matMul(tf.transpose(dy as tf.Tensor2D), savedX),
      ];
    },
  };
}) as (x: tf.Tensor2D, weight: tf.Tensor2D) => tf.Tensor2D;

/** GPT-2's Conv1D: x · W + b with W stored [in, out], as model.safetensors holds it. */
export function conv1d(x: tf.Tensor, weight: tf.Tensor2D, bias: tf.Tensor1D): tf.Tensor {
  const [inSize, outSize] = weight.shape;
  const rows = x.reshape([-1, inSize]) as tf.Tensor2D;
  return tf.add(matMulPlain(rows, weight), bias).reshape([...x.shape.slice(0, -1), outSize]);
}

/** Vocabulary logits of rows [n, d] against an output embedding [vocab, d]. */
export function projectToVocab(rows: tf.Tensor2D, embedding: tf.Tensor2D): tf.Tensor2D {
  return matMulTransposed(rows, embedding);
}
