import { gaussian, seededRandom } from '../../../src/core/project/random.ts';
import type { Vectors } from '../../../src/core/project/types.ts';

/** `list[i]`, failing loudly when out of range (tests index arrays they just built). */
export function at<T>(list: ArrayLike<T>, i: number): T {
  const value = list[i];
  if (value === undefined) throw new Error(`index ${i} out of range`);
  return value;
}

/**
 * `clusters` Gaussian blobs with centres far apart, in `dims` dims. With `planar`, each blob
 * spreads over a random 2D plane (plus faint noise), so its neighbourhoods are 2D and a good
 * map can keep them; otherwise it is isotropic noise.
 */
export function blobs(
  rows: number,
  dims: number,
  clusters: number,
  seed = 1,
  planar = false,
): Vectors & { labels: Int32Array } {
  const random = seededRandom(seed);
  const centres = Array.from({ length: clusters }, () =>
    Float64Array.from({ length: dims }, () => 10 * gaussian(random)),
  );
  const planes = Array.from({ length: clusters }, () =>
    Array.from({ length: 2 }, () => Float64Array.from({ length: dims }, () => gaussian(random))),
  );
  const data = new Float32Array(rows * dims);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = r % clusters;
    labels[r] = c;
    if (planar) {
      const u = 2 * gaussian(random);
      const v = 2 * gaussian(random);
      for (let d = 0; d < dims; d++) {
        const spread = u * at(at(at(planes, c), 0), d) + v * at(at(at(planes, c), 1), d);
        data[r * dims + d] =
          (at(centres, c)[d] as number) + spread / Math.sqrt(dims) + 0.01 * gaussian(random);
      }
    } else {
      for (let d = 0; d < dims; d++)
        data[r * dims + d] = (at(centres, c)[d] as number) + gaussian(random);
    }
  }
  return { data, rows, dims, labels };
}

/** Fraction of each point's k nearest map neighbours that share its label (brute force). */
export function mapPurity(map: Float32Array, dims: number, labels: Int32Array, k = 10): number {
  const rows = labels.length;
  let same = 0;
  for (let i = 0; i < rows; i++) {
    const order: [number, number][] = [];
    for (let j = 0; j < rows; j++) {
      if (j === i) continue;
      let s = 0;
      for (let c = 0; c < dims; c++)
        s += ((map[i * dims + c] as number) - (map[j * dims + c] as number)) ** 2;
      order.push([s, j]);
    }
    order.sort((a, b) => a[0] - b[0]);
    for (let n = 0; n < k; n++) if (labels[at(order, n)[1]] === labels[i]) same++;
  }
  return same / (rows * k);
}

export function isMonotonic(fractions: number[]): boolean {
  return fractions.every((f, i) => i === 0 || f >= (fractions[i - 1] as number));
}
