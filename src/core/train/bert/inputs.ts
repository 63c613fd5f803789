import * as tf from '@tensorflow/tfjs';

export interface TokenBatch {
  inputIds: readonly (readonly number[])[];
  attentionMask: readonly (readonly number[])[];
  tokenTypeIds?: readonly (readonly number[])[];
}

export interface TokenBatchTensors {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  tokenTypeIds: tf.Tensor2D;
}

/** int32 tensors for a padded batch of equal-length rows; token types default to zeros. */
export function tokenBatchTensors(batch: TokenBatch): TokenBatchTensors {
  const rows = batch.inputIds.length;
  const seq = batch.inputIds[0]?.length ?? 0;
  const tensor = (values: readonly (readonly number[])[], name: string): tf.Tensor2D => {
    if (values.length !== rows || values.some((row) => row.length !== seq)) {
      throw new RangeError(`${name} must be ${rows} rows of ${seq} ids, like inputIds`);
    }
    return tf.tensor2d(values.flat(), [rows, seq], 'int32');
  };
  return {
    inputIds: tensor(batch.inputIds, 'inputIds'),
    attentionMask: tensor(batch.attentionMask, 'attentionMask'),
    tokenTypeIds: batch.tokenTypeIds
      ? tensor(batch.tokenTypeIds, 'tokenTypeIds')
      : tf.zeros([rows, seq], 'int32'),
  };
}
