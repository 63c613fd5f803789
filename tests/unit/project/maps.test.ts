import { describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/core/progress.ts';
import { projectVectors } from '../../../src/core/project/project.ts';
import { mapQuality, sampleRows } from '../../../src/core/project/quality.ts';
import { seededRandom } from '../../../src/core/project/random.ts';
import { tsne } from '../../../src/core/project/tsne.ts';
import { umap } from '../../../src/core/project/umap.ts';
import { blobs, isMonotonic, mapPurity } from './helpers.ts';

const fastUmap = { nEpochs: 120 };
const fastTsne = { exaggerationIterations: 80, iterations: 120 };

describe.each([
  [
    'umap',
    (v: Parameters<typeof umap>[0], o: Parameters<typeof umap>[1]) =>
      umap(v, { ...fastUmap, ...o }),
  ],
  [
    'tsne',
    (v: Parameters<typeof tsne>[0], o: Parameters<typeof tsne>[1]) =>
      tsne(v, { ...fastTsne, ...o }),
  ],
] as const)('%s', (name, run) => {
  const vectors = blobs(600, 30, 4, 5);

  it('keeps well-separated clusters apart in 2D and 3D', async () => {
    for (const dims of [2, 3] as const) {
      const map = await run(vectors, { dims, seed: 1 });
      expect(map).toBeInstanceOf(Float32Array);
      expect(map.length).toBe(vectors.rows * dims);
      expect(map.every(Number.isFinite)).toBe(true);
      expect(mapPurity(map, dims, vectors.labels)).toBeGreaterThan(0.98);
    }
  });

  it('is deterministic for a seed', async () => {
    const a = await run(vectors, { seed: 3 });
    const b = await run(vectors, { seed: 3 });
    expect(Array.from(a)).toEqual(Array.from(b));
    if (name === 'umap') {
      // UMAP's negative sampling is random; t-SNE from a PCA start only varies via its kNN.
      const c = await run(vectors, { seed: 4 });
      expect(Array.from(a)).not.toEqual(Array.from(c));
    }
  });

  it('reports monotonic progress and stops on abort', async () => {
    const events: Progress[] = [];
    await run(vectors, { seed: 1, onProgress: (e) => events.push(e) });
    expect(events[0]?.status).toBe('start');
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
    expect(isMonotonic(events.map((e) => e.fraction))).toBe(true);

    const controller = new AbortController();
    const started = run(vectors, {
      seed: 1,
      signal: controller.signal,
      // Both methods report a fixed step (UMAP 0.45, t-SNE 0.22) and then check the signal; a
      // later threshold could first be crossed by the final 'done' of a run faster than the
      // 30 ms between layout reports.
      onProgress: (e) => {
        if (e.status === 'progress' && e.fraction >= 0.2) controller.abort();
      },
    });
    await expect(started).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('projectVectors', () => {
  it('keeps clusters and neighbours better than PCA (UMAP and t-SNE)', async () => {
    // 20 isotropic clusters in 60 dims: too many for two principal axes to keep apart.
    const vectors = blobs(1000, 60, 20, 11);
    const ids = sampleRows(vectors.rows, 300, seededRandom(2));
    const run = async (method: 'pca' | 'umap' | 'tsne') => {
      const map = await projectVectors(vectors, {
        method,
        dims: 2,
        seed: 1,
        umap: fastUmap,
        tsne: fastTsne,
      });
      return {
        quality: mapQuality(vectors, map, 2, ids, 10),
        purity: mapPurity(map, 2, vectors.labels),
      };
    };
    const baseline = await run('pca');
    expect(baseline.purity).toBeLessThan(0.99);
    for (const method of ['umap', 'tsne'] as const) {
      const { quality, purity } = await run(method);
      expect(purity).toBeGreaterThan(0.99);
      expect(quality.trustworthiness).toBeGreaterThan(baseline.quality.trustworthiness + 0.01);
    }
  });
});
