import { describe, expect, it } from 'vitest';
import { interpolatePath, interpolationPoints } from '../../../src/core/analyze/index.ts';
import { vectorBlocks } from '../../support/vector-blocks.ts';
import { gaussian } from './synthetic.ts';

function blocks(n: number, dims: number, perBlock: number, seed: number) {
  const next = gaussian(seed);
  const rows = Array.from({ length: n }, () => Float32Array.from({ length: dims }, next));
  return { rows, list: vectorBlocks(rows, dims, perBlock) };
}

describe('interpolatePath', () => {
  for (const method of ['lerp', 'slerp'] as const) {
    it(`returns the two source rows first at the ends (${method})`, async () => {
      const { rows, list } = blocks(200, 16, 64, 3);
      const path = await interpolatePath(
        list,
        rows[17] as Float32Array,
        rows[150] as Float32Array,
        {
          steps: 6,
          k: 3,
          method,
        },
      );
      expect(path.map((p) => p.t)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
      expect(path[0]?.hits[0]?.chunkId).toBe('c17');
      expect(path[0]?.hits[0]?.score).toBeCloseTo(1, 5);
      expect(path.at(-1)?.hits[0]?.chunkId).toBe('c150');
      for (const point of path) expect(point.hits).toHaveLength(3);
    });
  }

  it('puts slerp points on the great circle at even angles, lerp points on the chord', () => {
    const a = Float32Array.of(2, 0);
    const b = Float32Array.of(0, 5);
    const slerp = interpolationPoints(a, b, 3, 'slerp');
    expect([...(slerp[1]?.vector ?? [])].map((v) => +v.toFixed(6))).toEqual([
      +Math.SQRT1_2.toFixed(6),
      +Math.SQRT1_2.toFixed(6),
    ]);
    const slerp4 = interpolationPoints(a, b, 4, 'slerp');
    expect(slerp4[1]?.vector[0]).toBeCloseTo(Math.cos(Math.PI / 6), 6);
    // Lerp at t = 1/3 of the unit ends is (2/3, 1/3) re-normalised: not the 30° point.
    const lerp4 = interpolationPoints(a, b, 4, 'lerp');
    expect(lerp4[1]?.vector[0]).toBeCloseTo(2 / Math.hypot(2, 1), 6);
    expect(() => interpolationPoints(a, Float32Array.of(-1, 0), 3)).toThrow(/opposite/);
  });

  it('deduplicates rows along the path and still gives k per point', async () => {
    const { rows, list } = blocks(120, 8, 50, 9);
    const from = rows[3] as Float32Array;
    const to = rows[90] as Float32Array;
    const plain = await interpolatePath(list, from, to, { steps: 8, k: 4 });
    const unique = await interpolatePath(list, from, to, { steps: 8, k: 4, dedupe: true });
    const all = unique.flatMap((p) => p.hits.map((h) => h.chunkId));
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(32);
    expect(new Set(plain.flatMap((p) => p.hits.map((h) => h.chunkId))).size).toBeLessThan(32);
    expect(unique[0]?.hits).toEqual(plain[0]?.hits);
  });

  it('reports progress by rows read and aborts', async () => {
    const { rows, list } = blocks(100, 8, 25, 1);
    const fractions: number[] = [];
    await interpolatePath(list, rows[0] as Float32Array, rows[1] as Float32Array, {
      onProgress: (e) => fractions.push(e.fraction),
    });
    expect(fractions).toEqual([0, 0.25, 0.5, 0.75, 1, 1]);
    const controller = new AbortController();
    controller.abort();
    await expect(
      interpolatePath(list, rows[0] as Float32Array, rows[1] as Float32Array, {
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});
