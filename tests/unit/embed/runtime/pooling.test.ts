import { describe, expect, it } from 'vitest';
import {
  normalizeRows,
  poolTokens,
  truncateRows,
} from '../../../../src/core/embed/runtime/pooling.ts';

/** Two texts, 3 positions, hidden 2: text 0 has 2 real tokens, text 1 is left-padded. */
const states = {
  batch: 2,
  seq: 3,
  hidden: 2,
  // prettier-ignore
  data: Float32Array.from([
    1, 2,   3, 4,   100, 100,
    -9, -9, 5, 6,   7, 8,
  ]),
  attentionMask: Int32Array.from([1, 1, 0, 0, 1, 1]),
};

describe('poolTokens', () => {
  it('averages only real tokens', () => {
    expect(Array.from(poolTokens(states, 'mean'))).toEqual([2, 3, 6, 7]);
  });

  it('takes the first and last real token, wherever the padding is', () => {
    expect(Array.from(poolTokens(states, 'cls'))).toEqual([1, 2, 5, 6]);
    expect(Array.from(poolTokens(states, 'last-token'))).toEqual([3, 4, 7, 8]);
  });

  it('rejects shapes that do not add up', () => {
    expect(() => poolTokens({ ...states, seq: 4 }, 'mean')).toThrow(/expected 2×4×2/);
  });
});

describe('Matryoshka truncation and normalisation', () => {
  it('truncates rows, then normalises each to unit length', () => {
    const vectors = Float32Array.from([3, 4, 12, 0, 0, 5]);
    const truncated = truncateRows(vectors, 3, 2);
    expect(Array.from(truncated)).toEqual([3, 4, 0, 0]);
    expect(Array.from(normalizeRows(truncated, 2))).toEqual([0.6, 0.8, 0, 0].map(Math.fround));
  });

  it('keeps full width as is and refuses impossible dims', () => {
    const vectors = Float32Array.from([1, 2]);
    expect(truncateRows(vectors, 2, 2)).toBe(vectors);
    expect(() => truncateRows(vectors, 2, 3)).toThrow(/from 1 to 2/);
    expect(() => truncateRows(vectors, 2, 0)).toThrow(/from 1 to 2/);
  });
});
