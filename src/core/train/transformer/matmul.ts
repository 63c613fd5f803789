import * as tf from '@tensorflow/tfjs';

/*
 * TF.js 4.22's wasm backend sends 2-D matMuls to XNNPACK only without transpose flags; with them it
 * takes a naive loop about 10× slower (512×1536·1536×384: 36 ms vs 430–640 ms). The gradients
 * TF.js derives for a matMul use flags too, so both directions are spelled out here with plain
 * matMuls and explicit transposes.
 */

/** x · Wᵀ for 2-D tensors: a PyTorch [out, in] Linear weight, or a [vocab, d] output embedding. */
export const matMulTransposedB = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
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

/** x · W for 2-D tensors (GPT-2's Conv1D keeps W as [in, out]). */
export const matMulPlain = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
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
