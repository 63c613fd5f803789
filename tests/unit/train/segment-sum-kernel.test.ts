import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../src/core/model/seeded-random.ts';
import { useBackend } from '../../../src/core/train/bert/index.ts';

/** Scatter-add written out: out[ids[r]] += x[r], out-of-range ids dropped. */
function expectedSums(
  x: Float32Array,
  ids: number[],
  width: number,
  segments: number,
): Float64Array {
  const out = new Float64Array(segments * width);
  ids.forEach((id, r) => {
    if (id < 0 || id >= segments) return;
    for (let j = 0; j < width; j++)
      out[id * width + j] = (out[id * width + j] ?? 0) + (x[r * width + j] ?? 0);
  });
  return out;
}

describe.each(['cpu', 'wasm'] as const)('UnsortedSegmentSum on %s', (backend) => {
  it('scatter-adds rows of a rank-3 tensor, dropping out-of-range ids', async () => {
    await useBackend(backend);
    const random = new SeededRandom(1, backend);
    const ids = [3, 0, 3, 5, -1, 9, 0, 2];
    const x = Float32Array.from({ length: ids.length * 6 }, () => random.nextNormal());
    const sums = tf.unsortedSegmentSum(
      tf.tensor3d(x, [ids.length, 2, 3]),
      tf.tensor1d(ids, 'int32'),
      6,
    );
    expect(sums.shape).toEqual([6, 2, 3]);
    const actual = await sums.data();
    const expected = expectedSums(x, ids, 6, 6);
    expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, 5));
    sums.dispose();
  });

  it('makes the embedding gradient of a BERT-sized vocabulary fast', async () => {
    await useBackend(backend);
    const table = tf.variable(tf.randomNormal([30522, 64], 0, 1, 'float32', 1));
    const ids = tf.tensor1d(
      Array.from({ length: 512 }, (_, i) => (i * 7919) % 30522),
      'int32',
    );
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(
      () => tf.gather(table, ids).square().sum() as tf.Scalar,
    );
    const grad = grads[table.name];
    const data = await grad?.data();
    const ms = performance.now() - t0;
    console.info(`[segment-sum] ${backend} gather gradient 512 of 30522x64: ${Math.round(ms)} ms`);
    // d/dW Σ W[id]² = 2·W[id] on used rows (each used once here), 0 elsewhere.
    const row = await table.slice([7919, 0], [1, 64]).data();
    expect(Array.from(data?.subarray(7919 * 64, 7920 * 64) ?? [])).toEqual(
      Array.from(row, (v) => 2 * v),
    );
    expect(data?.[64 * 1]).toBe(0);
    expect(ms).toBeLessThan(2000);
    tf.dispose([table, ids, value, ...Object.values(grads)]);
  });
});
