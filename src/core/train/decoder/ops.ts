import type * as tf from '@tensorflow/tfjs';
import { matMulTransposedB } from '../transformer/matmul.ts';

/** Vocabulary logits of rows [n, d] against an output embedding [vocab, d] (the tied head). */
export function projectToVocab(rows: tf.Tensor2D, embedding: tf.Tensor2D): tf.Tensor2D {
  return matMulTransposedB(rows, embedding);
}
