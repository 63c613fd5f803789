import * as Comlink from 'comlink';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/lib/comlink-abort.ts';
import type { Progress } from '../../src/core/progress.ts';
import { pca } from '../../src/core/project/pca.ts';
import { gaussian, seededRandom } from '../../src/core/project/random.ts';
import type { ProjectApi } from '../../workers/project.worker.ts';

const ROWS = 500;
const DIMS = 32;

function clustered(): { data: Float32Array; labels: Int32Array } {
  const random = seededRandom(8);
  const centres = Array.from({ length: 4 }, () =>
    Float64Array.from({ length: DIMS }, () => 10 * gaussian(random)),
  );
  const data = new Float32Array(ROWS * DIMS);
  const labels = new Int32Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    labels[r] = r % 4;
    for (let d = 0; d < DIMS; d++)
      data[r * DIMS + d] = ((centres[r % 4] ?? [])[d] ?? 0) + gaussian(random);
  }
  return { data, labels };
}

/** The project worker in real Chromium, through comlink, as the app will start it. */
describe('project worker', () => {
  const worker = new Worker(new URL('../../workers/project.worker.ts', import.meta.url), {
    type: 'module',
    name: 'lumina-project',
  });
  const api = Comlink.wrap<ProjectApi>(worker);
  afterAll(() => worker.terminate());
  const { data, labels } = clustered();

  it('returns the same PCA coordinates as the core, with progress', async () => {
    const events: Progress[] = [];
    const coordinates = await api.project(
      data.slice(),
      ROWS,
      DIMS,
      { method: 'pca', dims: 2 },
      undefined,
      Comlink.proxy((e: Progress) => events.push(e)),
    );
    const expected = (await pca({ data, rows: ROWS, dims: DIMS }, 2)).coordinates;
    expect(coordinates).toBeInstanceOf(Float32Array);
    expect(Array.from(coordinates)).toEqual(Array.from(expected));
    await expect.poll(() => events.at(-1)?.status).toBe('done');
  });

  it('maps clusters apart by UMAP in 3D', async () => {
    const map = await api.project(data.slice(), ROWS, DIMS, {
      method: 'umap',
      dims: 3,
      seed: 1,
      umap: { nEpochs: 100 },
    });
    expect(map.length).toBe(ROWS * 3);
    // Each point's nearest map neighbour is in its own cluster.
    let same = 0;
    for (let i = 0; i < ROWS; i++) {
      let best = -1;
      let bestD = Infinity;
      for (let j = 0; j < ROWS; j++) {
        if (j === i) continue;
        let d = 0;
        for (let c = 0; c < 3; c++)
          d += ((map[i * 3 + c] as number) - (map[j * 3 + c] as number)) ** 2;
        if (d < bestD) [best, bestD] = [j, d];
      }
      if (labels[best] === labels[i]) same++;
    }
    expect(same / ROWS).toBeGreaterThan(0.98);
  });

  it('rejects with AbortError when the caller aborts a t-SNE run', async () => {
    const controller = new AbortController();
    const run = api.project(
      data.slice(),
      ROWS,
      DIMS,
      { method: 'tsne', dims: 2, tsne: { exaggerationIterations: 5000, iterations: 5000 } },
      controller.signal,
    );
    setTimeout(() => controller.abort(), 300);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });
});
