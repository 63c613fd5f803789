import { describe, expect, it } from 'vitest';
import { kmeans } from '../../../src/core/analyze/index.ts';
import type { Progress } from '../../../src/core/progress.ts';
import { blobs, purity } from './synthetic.ts';

describe('kmeans', () => {
  for (const metric of ['cosine', 'euclidean'] as const) {
    it(`recovers well-separated clusters (${metric})`, async () => {
      const data = blobs(5, 40, 24, 0.8, 11, metric === 'cosine');
      const result = await kmeans(data, { k: 5, metric, seed: 3 });
      expect(purity(result.assignments, data.truth)).toBe(1);
      // Both ways round: each found cluster is one true cluster and vice versa.
      expect(purity(data.truth, result.assignments)).toBe(1);
      expect([...result.sizes]).toEqual([40, 40, 40, 40, 40]);
      expect(result.converged).toBe(true);
    });
  }

  it('reports inertia as the sum of distances to the returned centroids', async () => {
    const data = blobs(3, 30, 8, 3, 5, false);
    const result = await kmeans(data, { k: 3, metric: 'euclidean', seed: 1 });
    let expected = 0;
    const n = data.vectors.length / 8;
    for (let i = 0; i < n; i++) {
      const distances = [0, 1, 2].map((c) => {
        let sum = 0;
        for (let j = 0; j < 8; j++) {
          sum +=
            ((data.vectors[i * 8 + j] as number) - (result.centroids[c * 8 + j] as number)) ** 2;
        }
        return sum;
      });
      // Each row sits with its nearest centroid.
      expect(distances[result.assignments[i] as number]).toBeCloseTo(Math.min(...distances), 4);
      expect(distances[result.assignments[i] as number]).toBeCloseTo(Math.min(...distances), 4);
      expected += Math.min(...distances);
    }
    expect(result.inertia).toBeCloseTo(expected, 2);
  });

  it('gives unit centroids and 1 − cosine inertia for cosine on unnormalised rows', async () => {
    const data = blobs(4, 25, 16, 1, 8, false);
    const scaled = data.vectors.map((v, i) => v * (1 + (Math.floor(i / 16) % 7)));
    const plain = await kmeans(data, { k: 4, seed: 2 });
    const rescaled = await kmeans({ vectors: scaled, dims: 16 }, { k: 4, seed: 2 });
    expect([...rescaled.assignments]).toEqual([...plain.assignments]);
    for (let c = 0; c < 4; c++) {
      expect(Math.hypot(...rescaled.centroids.subarray(c * 16, c * 16 + 16))).toBeCloseTo(1, 5);
    }
    expect(rescaled.inertia).toBeCloseTo(plain.inertia, 3);
  });

  it('is deterministic for a seed', async () => {
    const data = blobs(6, 30, 12, 4, 21);
    const a = await kmeans(data, { k: 6, seed: 9 });
    const b = await kmeans(data, { k: 6, seed: 9 });
    expect([...a.assignments]).toEqual([...b.assignments]);
    expect([...a.centroids]).toEqual([...b.centroids]);
    expect(a.inertia).toBe(b.inertia);
    const seedsBySeed = await Promise.all(
      [1, 2, 3, 4].map(async (seed) => [...(await kmeans(data, { k: 6, seed })).seeds].join()),
    );
    expect(new Set(seedsBySeed).size).toBeGreaterThan(1);
  });

  it('seeds k-means++ in distinct clusters', async () => {
    const data = blobs(8, 50, 16, 0.05, 4);
    for (const seed of [0, 1, 2, 3, 4]) {
      const { seeds } = await kmeans(data, { k: 8, seed, maxIterations: 0 });
      const clusters = new Set([...seeds].map((row) => data.truth[row]));
      expect(clusters.size).toBe(8);
    }
  });

  it('recovers clusters in mini-batch mode', async () => {
    const data = blobs(4, 500, 16, 0.8, 13);
    const result = await kmeans(data, { k: 4, seed: 5, miniBatch: { batchSize: 64 } });
    expect(purity(result.assignments, data.truth)).toBe(1);
    expect(result.iterations).toBeGreaterThan(0);
  });

  it('reports monotonic progress ending in done, and aborts', async () => {
    const data = blobs(3, 20, 8, 1, 1);
    const events: Progress[] = [];
    await kmeans(data, { k: 3, onProgress: (event) => events.push(event) });
    expect(events[0]?.status).toBe('start');
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
    const fractions = events.map((event) => event.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));

    const controller = new AbortController();
    const run = kmeans(data, {
      k: 3,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.status === 'start') controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects bad shapes and k', async () => {
    await expect(kmeans({ vectors: new Float32Array(7), dims: 2 }, { k: 1 })).rejects.toThrow(
      RangeError,
    );
    await expect(kmeans({ vectors: new Float32Array(4), dims: 2 }, { k: 3 })).rejects.toThrow(
      /k must be/,
    );
  });
});
