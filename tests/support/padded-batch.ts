import { SeededRandom } from '../../src/core/model/seeded-random.ts';

export interface PaddedBatch {
  inputIds: number[][];
  attentionMask: number[][];
  tokenTypeIds: number[][];
}

/**
 * Seeded ids of the given lengths padded to the longest, ids never the pad id, with row 1 a
 * sentence pair (segment B from its midpoint), as BERT sees pairs.
 */
export function paddedBatch(
  config: { vocabSize: number; padTokenId: number },
  lengths: number[],
  seed: number,
): PaddedBatch {
  const random = new SeededRandom(seed, 'inputs');
  const seq = Math.max(...lengths);
  return {
    inputIds: lengths.map((length) =>
      Array.from({ length: seq }, (_, s) =>
        s < length ? 1 + (random.nextUint32() % (config.vocabSize - 1)) : config.padTokenId,
      ),
    ),
    attentionMask: lengths.map((length) =>
      Array.from({ length: seq }, (_, s) => (s < length ? 1 : 0)),
    ),
    tokenTypeIds: lengths.map((length, b) =>
      Array.from({ length: seq }, (_, s) => (b === 1 && s >= length / 2 && s < length ? 1 : 0)),
    ),
  };
}

/** Row `row` of a padded batch cut to its first `length` tokens, alone and unpadded. */
export function rowAlone(batch: PaddedBatch, row: number, length: number): PaddedBatch {
  return {
    inputIds: [batch.inputIds[row]?.slice(0, length) ?? []],
    attentionMask: [Array.from({ length }, () => 1)],
    tokenTypeIds: [batch.tokenTypeIds[row]?.slice(0, length) ?? []],
  };
}
