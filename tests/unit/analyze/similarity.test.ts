import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import {
  cosineSimilarityMatrix,
  similarityMatrixToCsv,
} from '../../../src/core/analyze/similarity.ts';

describe('cosineSimilarityMatrix', () => {
  it('gives symmetric cosines with 1 on the diagonal', () => {
    const rows = [Float32Array.of(1, 0, 0), Float32Array.of(1, 1, 0), Float32Array.of(0, 0, -2)];
    const m = cosineSimilarityMatrix(rows);
    expect(m).toHaveLength(3);
    expect(m.map((row) => row[0])).toEqual([1, m[1]?.[0], 0]);
    expect(m[0]?.[1]).toBeCloseTo(1 / Math.SQRT2, 12);
    expect(m[1]?.[0]).toBe(m[0]?.[1]);
    expect(m[1]?.[2]).toBe(0);
    expect(m[2]?.[2]).toBe(1);
    // Opposite directions.
    expect(
      cosineSimilarityMatrix([Float32Array.of(1, 2), Float32Array.of(-2, -4)])[0]?.[1],
    ).toBeCloseTo(-1, 12);
  });

  it('is scale invariant and gives a zero row no similarity', () => {
    const m = cosineSimilarityMatrix([
      Float32Array.of(3, 4),
      Float32Array.of(0.3, 0.4),
      Float32Array.of(0, 0),
    ]);
    expect(m[0]?.[1]).toBeCloseTo(1, 6);
    expect(m[2]).toEqual([0, 0, 0]);
  });

  it('rejects rows of different length', () => {
    expect(() => cosineSimilarityMatrix([Float32Array.of(1, 2), Float32Array.of(1)])).toThrow(
      /Row 1 has 1 dims/,
    );
  });
});

describe('similarityMatrixToCsv', () => {
  it('writes a labelled square matrix that parses back', () => {
    const labels = ['a, with comma', 'b "quoted"'];
    const csv = similarityMatrixToCsv(labels, [
      [1, 0.12345],
      [0.12345, 1],
    ]);
    const rows = Papa.parse<string[]>(csv, { skipEmptyLines: true }).data;
    expect(rows).toEqual([
      ['text', ...labels],
      ['a, with comma', '1.000', '0.123'],
      ['b "quoted"', '0.123', '1.000'],
    ]);
  });
});
