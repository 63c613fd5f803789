import { describe, expect, it } from 'vitest';
import {
  chooseK,
  elbowIndex,
  sampleRows,
  silhouetteScore,
} from '../../../src/core/analyze/index.ts';
import { blobs } from './synthetic.ts';

describe('silhouette', () => {
  it('matches a hand-computed example', async () => {
    // Points 0, 1 | 4, 5 on a line: s = 7/9 for the outer points and 5/7 for the inner ones.
    const vectors = Float32Array.of(0, 1, 4, 5);
    const score = await silhouetteScore({ vectors, dims: 1 }, [0, 0, 1, 1], {
      metric: 'euclidean',
    });
    expect(score).toBeCloseTo((7 / 9 + 5 / 7) / 2, 6);
  });

  it('scores a singleton 0 and uses cosine distance by default', async () => {
    // Directions at 0°, 10° | 90°: cosine distances 1 − cos θ.
    const angle = (deg: number) => [
      Math.cos((deg * Math.PI) / 180),
      Math.sin((deg * Math.PI) / 180),
    ];
    const vectors = Float32Array.from([...angle(0), ...angle(10), ...angle(90)]);
    const d = (a: number, b: number) => 1 - Math.cos(((a - b) * Math.PI) / 180);
    const s0 = (d(0, 90) - d(0, 10)) / d(0, 90);
    const s1 = (d(10, 90) - d(0, 10)) / d(10, 90);
    const score = await silhouetteScore({ vectors, dims: 2 }, [0, 0, 1]);
    expect(score).toBeCloseTo((s0 + s1 + 0) / 3, 6);
  });

  it('samples distinct rows deterministically', () => {
    const a = sampleRows(1000, 50, 3);
    expect([...a]).toEqual([...sampleRows(1000, 50, 3)]);
    expect(new Set(a).size).toBe(50);
    expect([...a]).toEqual([...a].sort((x, y) => x - y));
    expect([...sampleRows(1000, 50, 4)]).not.toEqual([...a]);
    expect(sampleRows(10, 50, 3).length).toBe(10);
  });
});

describe('chooseK', () => {
  it('suggests the true number of clusters', async () => {
    const data = blobs(4, 30, 16, 0.6, 17);
    const result = await chooseK(data, { minK: 2, maxK: 7, seed: 1 });
    expect(result.rows.map((row) => row.k)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(result.suggestedK).toBe(4);
    expect(result.elbowK).toBe(4);
    expect(result.silhouetteRows).toBe(120);
    const inertias = result.rows.map((row) => row.inertia);
    expect(inertias[2]).toBeLessThan((inertias[1] as number) / 2);
  });

  it('uses a sample for the silhouette when n is large', async () => {
    const data = blobs(3, 100, 8, 0.5, 2);
    const result = await chooseK(data, { minK: 2, maxK: 4, silhouetteSampleSize: 90 });
    expect(result.silhouetteRows).toBe(90);
    expect(result.suggestedK).toBe(3);
  });

  it('finds the elbow of a curve', () => {
    expect(elbowIndex([100, 50, 10, 8, 6, 4])).toBe(2);
    expect(elbowIndex([3, 2])).toBe(0);
  });

  it('aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      chooseK(blobs(2, 10, 4, 0.5, 1), { signal: controller.signal, maxK: 3 }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});
