import { describe, expect, it } from 'vitest';
import { mapQuality, sampleRows } from '../../../src/core/project/quality.ts';
import { seededRandom } from '../../../src/core/project/random.ts';

/** Trustworthiness straight from its definition (Venna & Kaski 2001), O(m³), for tiny data. */
function trustworthinessByDefinition(high: number[][], low: number[][], k: number): number {
  const m = high.length;
  const dist = (a: number[], b: number[]) =>
    a.reduce((s, x, i) => s + (x - (b[i] as number)) ** 2, 0);
  const ranked = (points: number[][], i: number) =>
    points
      .map((p, j) => ({ j, d: dist(points[i] ?? [], p) }))
      .filter(({ j }) => j !== i)
      .sort((a, b) => a.d - b.d || a.j - b.j)
      .map(({ j }) => j);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    const highRank = ranked(high, i);
    const lowNeighbours = ranked(low, i).slice(0, k);
    for (const j of lowNeighbours) {
      const r = highRank.indexOf(j) + 1;
      if (r > k) sum += r - k;
    }
  }
  return 1 - (2 / (m * k * (2 * m - 3 * k - 1))) * sum;
}

describe('mapQuality', () => {
  const random = seededRandom(5);
  const m = 40;
  const high = Array.from({ length: m }, () => Array.from({ length: 6 }, () => random()));
  const flat = new Float32Array(high.flat());
  const ids = Int32Array.from({ length: m }, (_, i) => i);

  it('matches trustworthiness by its definition and is 1 for a perfect map', () => {
    const low = high.map((p) => [
      (p[0] as number) + 0.3 * (p[2] as number),
      (p[1] as number) - 0.2 * (p[3] as number),
    ]);
    const scores = mapQuality(
      { data: flat, rows: m, dims: 6 },
      new Float32Array(low.flat()),
      2,
      ids,
      5,
    );
    expect(scores.trustworthiness).toBeCloseTo(trustworthinessByDefinition(high, low, 5), 10);

    const perfect = mapQuality({ data: flat, rows: m, dims: 6 }, flat, 6, ids, 5);
    expect(perfect.trustworthiness).toBe(1);
    expect(perfect.knnPreservation).toBe(1);
  });

  it('samples distinct rows, sorted, reproducibly', () => {
    const a = sampleRows(1000, 50, seededRandom(1));
    expect(new Set(a).size).toBe(50);
    expect(Array.from(a)).toEqual([...a].sort((x, y) => x - y));
    expect(Array.from(sampleRows(1000, 50, seededRandom(1)))).toEqual(Array.from(a));
    expect(sampleRows(10, 50, seededRandom(1)).length).toBe(10);
  });
});
