/**
 * Silhouette score (Rousseeuw 1987): for each point, a = mean distance to the rest of its own
 * cluster, b = the lowest mean distance to another cluster, s = (b − a) / max(a, b), and 0 for a
 * point alone in its cluster (as scikit-learn does). Exact over all rows for small n; for large n
 * over a seeded random sample of rows, whose distance matrix can be reused for several labelings.
 */
import { mulberry32 } from '../prepare/split.ts';
import { inverseRowNorms } from '../search/kernels.ts';
import { dotSpan } from './dot-tile.ts';
import type { ClusterMetric } from './kmeans.ts';
import { Pacer, rowCount, rowSquaredNorms, type EmbeddingMatrix } from './matrix.ts';

export interface SilhouetteOptions {
  /** Default `cosine` (distance 1 − cosine); `euclidean` uses plain (not squared) distance. */
  metric?: ClusterMetric;
  /** Rows at most; above it a seeded sample of this size is used. Default 2000. */
  sampleSize?: number;
  seed?: number;
  signal?: AbortSignal;
}

/** Distances between sampled rows: `distances[i · m + j]` for sample positions i, j. */
export interface SampleDistances {
  /** The sampled rows, ascending. */
  rows: Int32Array;
  distances: Float32Array;
}

/** `size` distinct rows of `n`, ascending, by a seeded partial Fisher–Yates shuffle. */
export function sampleRows(n: number, size: number, seed: number): Int32Array {
  if (size >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(Math.trunc(seed) ^ 0x5bd1e995);
  const pool = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + Math.min(n - i - 1, Math.floor(random() * (n - i)));
    const swap = pool[i] as number;
    pool[i] = pool[j] as number;
    pool[j] = swap;
  }
  return pool.slice(0, size).sort();
}

export async function sampleDistances(
  matrix: EmbeddingMatrix,
  { metric = 'cosine', sampleSize = 2000, seed = 0, signal }: SilhouetteOptions = {},
): Promise<SampleDistances> {
  const n = rowCount(matrix);
  if (!Number.isInteger(sampleSize) || sampleSize < 2) {
    throw new RangeError(`sampleSize must be an integer ≥ 2, got ${sampleSize}.`);
  }
  const { vectors, dims } = matrix;
  const rows = sampleRows(n, sampleSize, seed);
  const m = rows.length;
  const sample = new Float32Array(m * dims);
  rows.forEach((row, i) => sample.set(vectors.subarray(row * dims, (row + 1) * dims), i * dims));
  const inverse = metric === 'cosine' ? inverseRowNorms(sample, m, dims) : null;
  const squared = metric === 'euclidean' ? rowSquaredNorms(sample, m, dims) : null;
  const distances = new Float32Array(m * m);
  const pacer = new Pacer(signal);
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const dot = dotSpan(sample, i * dims, sample, j * dims, dims);
      const d = squared
        ? Math.sqrt(Math.max(0, (squared[i] as number) + (squared[j] as number) - 2 * dot))
        : 1 - dot * (inverse ? (inverse[i] as number) * (inverse[j] as number) : 1);
      distances[i * m + j] = d;
      distances[j * m + i] = d;
    }
    await pacer.checkpoint();
  }
  return { rows, distances };
}

/** Mean silhouette of the sampled rows under `labels` (one label per row of the full data). */
export function silhouetteFromDistances(
  { rows, distances }: SampleDistances,
  labels: ArrayLike<number>,
): number {
  const m = rows.length;
  const sampleLabels = Int32Array.from(rows, (row) => labels[row] as number);
  let k = 0;
  for (const label of sampleLabels) {
    if (!Number.isInteger(label) || label < 0) {
      throw new RangeError(`Cluster labels must be integers ≥ 0, got ${label}.`);
    }
    k = Math.max(k, label + 1);
  }
  const counts = new Int32Array(k);
  for (const label of sampleLabels) counts[label] = (counts[label] as number) + 1;
  if (counts.filter((c) => c > 0).length < 2) {
    throw new RangeError('The silhouette needs at least 2 non-empty clusters.');
  }
  const sums = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < m; i++) {
    const own = sampleLabels[i] as number;
    if ((counts[own] as number) < 2) continue;
    sums.fill(0);
    for (let j = 0, offset = i * m; j < m; j++) {
      const label = sampleLabels[j] as number;
      sums[label] = (sums[label] as number) + (distances[offset + j] as number);
    }
    const a = (sums[own] as number) / ((counts[own] as number) - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) {
      if (c !== own && (counts[c] as number) > 0)
        b = Math.min(b, (sums[c] as number) / (counts[c] as number));
    }
    const spread = Math.max(a, b);
    total += spread > 0 ? (b - a) / spread : 0;
  }
  return total / m;
}

/** Mean silhouette of `labels` over all rows, or over a seeded sample when n > sampleSize. */
export async function silhouetteScore(
  matrix: EmbeddingMatrix,
  labels: ArrayLike<number>,
  options: SilhouetteOptions = {},
): Promise<number> {
  if (labels.length !== rowCount(matrix)) {
    throw new RangeError(`${labels.length} labels for ${rowCount(matrix)} rows.`);
  }
  return silhouetteFromDistances(await sampleDistances(matrix, options), labels);
}
