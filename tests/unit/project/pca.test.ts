import { describe, expect, it } from 'vitest';
import { applyPca, fitPca, pca } from '../../../src/core/project/pca.ts';
import { gaussian, seededRandom } from '../../../src/core/project/random.ts';
import type { Progress } from '../../../src/core/progress.ts';
import type { Vectors } from '../../../src/core/project/types.ts';
import { at, isMonotonic } from './helpers.ts';

const DIMS = 24;

/** An orthonormal basis by Gram–Schmidt of seeded Gaussian vectors. */
function basis(count: number, dims: number, seed: number): Float64Array[] {
  const random = seededRandom(seed);
  const out: Float64Array[] = [];
  while (out.length < count) {
    const v = Float64Array.from({ length: dims }, () => gaussian(random));
    for (const u of out) {
      const dot = v.reduce((s, x, i) => s + x * (u[i] as number), 0);
      for (let i = 0; i < dims; i++) (v[i] as number) -= dot * (u[i] as number);
    }
    const norm = Math.hypot(...v);
    out.push(v.map((x) => x / norm));
  }
  return out;
}

/** Rows = mean + 5a·u0 + 3b·u1 + 1.5c·u2 + 0.1·noise, with a, b, c standard normal. */
function knownAxes(rows: number): { vectors: Vectors; axes: Float64Array[]; mean: Float64Array } {
  const axes = basis(3, DIMS, 7);
  const random = seededRandom(3);
  const mean = Float64Array.from({ length: DIMS }, (_, i) => i * 0.1 - 1);
  const scales = [5, 3, 1.5];
  const data = new Float32Array(rows * DIMS);
  for (let r = 0; r < rows; r++) {
    const weights = scales.map((s) => s * gaussian(random));
    for (let d = 0; d < DIMS; d++) {
      let v = (mean[d] as number) + 0.1 * gaussian(random);
      for (let k = 0; k < 3; k++) v += (weights[k] as number) * (at(axes, k)[d] as number);
      data[r * DIMS + d] = v;
    }
  }
  return { vectors: { data, rows, dims: DIMS }, axes, mean };
}

describe('pca', () => {
  const { vectors, axes, mean } = knownAxes(4000);

  it('recovers the principal axes, their variances and the mean', async () => {
    const model = await fitPca(vectors, 3);
    for (let k = 0; k < 3; k++) {
      const found = model.axes.subarray(k * DIMS, (k + 1) * DIMS);
      const dot = found.reduce((s, x, i) => s + x * (at(axes, k)[i] as number), 0);
      expect(Math.abs(dot)).toBeGreaterThan(0.999);
    }
    expect(model.variances[0]).toBeCloseTo(25, -0.5);
    expect((model.variances[1] as number) / (model.variances[0] as number)).toBeCloseTo(9 / 25, 1);
    expect((model.variances[2] as number) / (model.variances[0] as number)).toBeCloseTo(
      2.25 / 25,
      1,
    );
    for (let d = 0; d < DIMS; d++)
      expect(Math.abs((model.mean[d] as number) - (mean[d] as number))).toBeLessThan(0.3);
  });

  it('projects rows as (x − mean) · axis, and blocks give the same answer as one array', async () => {
    const { model, coordinates } = await pca(vectors, 2);
    for (const r of [0, 17, 3999]) {
      for (let k = 0; k < 2; k++) {
        let s = 0;
        for (let d = 0; d < DIMS; d++) {
          s +=
            ((vectors.data[r * DIMS + d] as number) - (model.mean[d] as number)) *
            (model.axes[k * DIMS + d] as number);
        }
        expect(coordinates[r * 2 + k]).toBeCloseTo(s, 4);
      }
    }
    const blocks: Vectors[] = [];
    for (let start = 0; start < vectors.rows; start += 1000) {
      const data = vectors.data.subarray(start * DIMS, (start + 1000) * DIMS);
      blocks.push({ data, rows: 1000, dims: DIMS });
    }
    const fromBlocks = await pca(blocks, 2, { blockRows: 333 });
    for (let i = 0; i < model.axes.length; i++) {
      expect(fromBlocks.model.axes[i]).toBeCloseTo(model.axes[i] as number, 8);
    }
    const again = await applyPca(fromBlocks.model, vectors);
    expect(Array.from(again.subarray(0, 20))).toEqual(
      Array.from(fromBlocks.coordinates.subarray(0, 20)),
    );
  });

  it('reports monotonic progress that ends in done, and stops on abort', async () => {
    const events: Progress[] = [];
    await pca(vectors, 2, { blockRows: 256, onProgress: (e) => events.push(e) });
    expect(events[0]?.status).toBe('start');
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
    expect(events.filter((e) => e.status === 'progress').length).toBeGreaterThan(5);
    expect(isMonotonic(events.map((e) => e.fraction))).toBe(true);

    const controller = new AbortController();
    const run = pca(vectors, 2, {
      blockRows: 64,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.fraction > 0.2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects a component count outside [1, dims] and mismatched shapes', async () => {
    await expect(fitPca(vectors, DIMS + 1)).rejects.toThrow(/components/);
    await expect(fitPca({ data: new Float32Array(10), rows: 3, dims: 3 }, 1)).rejects.toThrow(
      /expected 3 × 3/,
    );
  });
});
