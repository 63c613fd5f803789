import { describe, expect, it } from 'vitest';
import { averageRanks, pearson, spearman } from '../../../src/core/eval/index.ts';

describe('correlation', () => {
  it('Pearson matches a hand computation', () => {
    // Means 2 and 13/3; Sxy = 5, Sxx = 2, Syy = 38/3.
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt(2 * (38 / 3)), 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('Spearman averages tied ranks', () => {
    expect(averageRanks([5, 6, 7, 8, 7])).toEqual([1, 2, 3.5, 5, 3.5]);
    // Ranks of y: 1, 2, 3.5, 5, 3.5 → Sxy = 8, Sxx = 10, Syy = 9.5 (scipy: 0.8207826816681233).
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(8 / Math.sqrt(95), 12);
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toBeCloseTo(1, 12);
  });

  it('rejects unpaired or too short samples', () => {
    expect(() => pearson([1, 2], [1])).toThrow(RangeError);
    expect(() => spearman([1], [1])).toThrow(RangeError);
    expect(() => pearson([1, Number.NaN], [1, 2])).toThrow(RangeError);
  });
});
