import { describe, expect, it } from 'vitest';
import { erf, gelu, l2Normalize, meanPool } from '../../support/reference-bert.ts';

describe('reference BERT helpers', () => {
  it('computes erf to double precision', () => {
    // Values from the DLMF / Abramowitz & Stegun tables (Table 7.1), to 16 digits.
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [2.5, 0.999593047982555],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
    ];
    for (const [x, value] of table) {
      expect(Math.abs(erf(x) - value)).toBeLessThan(2e-15);
      expect(Math.abs(erf(-x) + value)).toBeLessThan(2e-15);
    }
    expect(erf(7)).toBe(1);
  });

  it('computes exact GELU', () => {
    expect(gelu(0)).toBe(0);
    expect(gelu(1)).toBeCloseTo(0.8413447460685429, 14);
    expect(gelu(-1)).toBeCloseTo(-0.15865525393145707, 14);
  });

  it('mean-pools over attended positions only and L2-normalises', () => {
    const states = { batch: 1, seq: 3, hidden: 2, data: new Float64Array([1, 2, 3, 4, 100, 100]) };
    const [pooled] = meanPool(states, [[1, 1, 0]]);
    expect(Array.from(pooled ?? [])).toEqual([2, 3]);
    const unit = l2Normalize(new Float64Array([3, 4]));
    expect(Array.from(unit)).toEqual([0.6, 0.8]);
  });
});
