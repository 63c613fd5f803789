import * as tf from '@tensorflow/tfjs';
import type { SeededRandom } from '../../model/seeded-random.ts';
import type { DataSection } from '../config/types.ts';
import type { SequenceSet } from '../data/sequences.ts';
import type { MlmTokenizer } from '../data/tokenizer.ts';
import { IGNORE_LABEL, maskTokens } from '../mlm/masking.ts';
import type { MaskedBatch } from '../mlm/loss.ts';

/** Rows of a sequence set, in the given order. */
export function pickRows(
  set: SequenceSet,
  rows: ArrayLike<number>,
): { inputIds: number[][]; attentionMask: number[][] } {
  const inputIds: number[][] = [];
  const attentionMask: number[][] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] ?? 0;
    inputIds.push(set.inputIds[row] ?? []);
    attentionMask.push(set.attentionMask[row] ?? []);
  }
  return { inputIds, attentionMask };
}

/**
 * The 15 % / 80-10-10 corruption of a batch from its own random stream. A batch where the draw
 * chose nothing (possible for tiny batches) gets one eligible position chosen from the same
 * stream and masked, so every batch has a loss; a batch with no eligible token gets none.
 */
export function maskBatch(
  rows: { inputIds: number[][]; attentionMask: number[][] },
  tokenizer: MlmTokenizer,
  data: Pick<DataSection, 'mask_probability' | 'masking'>,
  vocabSize: number,
  random: SeededRandom,
): MaskedBatch | null {
  const masked = maskTokens(rows.inputIds, rows.attentionMask, {
    vocabSize,
    maskTokenId: tokenizer.maskId,
    padTokenId: tokenizer.padId,
    specialTokenIds: tokenizer.specialIds,
    probability: data.mask_probability,
    maskShare: data.masking.mask,
    randomShare: data.masking.random,
    random,
  });
  const labelled = masked.labels.some((row) => row.some((label) => label !== IGNORE_LABEL));
  if (!labelled) {
    const special = new Set(tokenizer.specialIds);
    const eligible: [number, number][] = [];
    rows.inputIds.forEach((row, b) =>
      row.forEach((id, s) => {
        if (rows.attentionMask[b]?.[s] === 1 && !special.has(id)) eligible.push([b, s]);
      }),
    );
    if (eligible.length === 0) return null;
    const [b, s] = eligible[random.nextUint32() % eligible.length] ?? [0, 0];
    const labelRow = masked.labels[b];
    const inputRow = masked.inputIds[b];
    if (labelRow && inputRow) {
      labelRow[s] = rows.inputIds[b]?.[s] ?? 0;
      inputRow[s] = tokenizer.maskId;
    }
  }
  return { inputIds: masked.inputIds, attentionMask: rows.attentionMask, labels: masked.labels };
}

/** Number of rows whose arg-max logit is the target (ties go to the lowest id). */
export function correctCount(logits: tf.Tensor2D, targets: Int32Array): tf.Scalar {
  return tf.tidy(() =>
    tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(targets, 'int32')), 'int32')),
  );
}
