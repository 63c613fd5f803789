import { describe, expect, it } from 'vitest';
import { approximateKnn } from '../../../src/core/project/knn.ts';
import { seededRandom } from '../../../src/core/project/random.ts';
import { blobs } from './helpers.ts';

describe('approximateKnn', () => {
  it('finds most of the exact nearest neighbours, sorted nearest first', async () => {
    const vectors = blobs(3000, 16, 5, 2);
    const k = 10;
    const graph = await approximateKnn(vectors, k, seededRandom(1));
    let hits = 0;
    const checked = 150;
    for (let s = 0; s < checked; s++) {
      const i = s * 20;
      const exact: [number, number][] = [];
      for (let j = 0; j < vectors.rows; j++) {
        if (j === i) continue;
        let d = 0;
        for (let c = 0; c < 16; c++)
          d += ((vectors.data[i * 16 + c] as number) - (vectors.data[j * 16 + c] as number)) ** 2;
        exact.push([d, j]);
      }
      exact.sort((a, b) => a[0] - b[0]);
      const truth = new Set(exact.slice(0, k).map(([, j]) => j));
      const row = Array.from(graph.indices.subarray(i * k, (i + 1) * k));
      hits += row.filter((j) => truth.has(j)).length;
      expect(row).not.toContain(i);
      const ds = Array.from(graph.distances.subarray(i * k, (i + 1) * k));
      expect(ds).toEqual([...ds].sort((a, b) => a - b));
      expect(ds[0]).toBeCloseTo(Math.sqrt((exact.find(([, j]) => j === row[0]) ?? [NaN])[0]), 4);
    }
    expect(hits / (checked * k)).toBeGreaterThan(0.9);
  });

  it('is deterministic for a seed', async () => {
    const vectors = blobs(800, 8, 3, 4);
    const a = await approximateKnn(vectors, 5, seededRandom(9));
    const b = await approximateKnn(vectors, 5, seededRandom(9));
    expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
  });
});
