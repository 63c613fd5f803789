/**
 * Choosing k: k-means for each k in a range, with the inertia (for an elbow plot) and the
 * silhouette on one shared sample of rows. The suggestion is the k of highest silhouette; the
 * elbow is reported too, as the point farthest below the chord of the normalised inertia curve
 * (the "kneedle" rule of Satopää et al. 2011).
 */
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import { kmeans, type KMeansOptions } from './kmeans.ts';
import { rowCount, type EmbeddingMatrix } from './matrix.ts';
import { sampleDistances, silhouetteFromDistances } from './silhouette.ts';

export interface ChooseKOptions extends Omit<KMeansOptions, 'k' | 'onProgress' | 'signal'> {
  /** Smallest k tried, ≥ 2 (the silhouette needs 2 clusters); default 2. */
  minK?: number;
  /** Largest k tried; default 10 (capped at the row count). */
  maxK?: number;
  /** Rows for the silhouette (exact when n is at most this); default 2000. */
  silhouetteSampleSize?: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface ChooseKRow {
  k: number;
  inertia: number;
  silhouette: number;
  iterations: number;
}

export interface ChooseKResult {
  rows: ChooseKRow[];
  /** The k of highest silhouette (the smaller k on ties). */
  suggestedK: number;
  /** The elbow of the inertia curve (kneedle); equal to minK when there are fewer than 3 ks. */
  elbowK: number;
  /** Rows the silhouette was computed on. */
  silhouetteRows: number;
}

/** The point of a decreasing curve farthest below the chord from its first to its last point. */
export function elbowIndex(values: readonly number[]): number {
  const last = values.length - 1;
  if (last < 2) return 0;
  const first = values[0] as number;
  const range = first - (values[last] as number);
  if (!(range > 0)) return 0;
  let best = 0;
  let bestGap = 0;
  for (let i = 1; i < last; i++) {
    const x = i / last;
    const y = ((values[i] as number) - (values[last] as number)) / range;
    const gap = 1 - x - y;
    if (gap > bestGap) {
      bestGap = gap;
      best = i;
    }
  }
  return best;
}

export async function chooseK(
  matrix: EmbeddingMatrix,
  options: ChooseKOptions = {},
): Promise<ChooseKResult> {
  const { minK = 2, silhouetteSampleSize = 2000, onProgress, signal, ...kmeansOptions } = options;
  const n = rowCount(matrix);
  const maxK = Math.min(options.maxK ?? 10, n);
  if (!Number.isInteger(minK) || minK < 2 || !Number.isInteger(maxK) || maxK < minK) {
    throw new RangeError(`Need whole numbers 2 ≤ minK ≤ maxK ≤ rows (${n}); got ${minK}…${maxK}.`);
  }
  const progress = new ProgressReporter(onProgress);
  progress.start(`choosing k in ${minK}…${maxK}`);
  const steps = maxK - minK + 2;
  const sample = await sampleDistances(matrix, {
    metric: kmeansOptions.metric,
    sampleSize: silhouetteSampleSize,
    seed: kmeansOptions.seed,
    signal,
  });
  progress.update(1, steps, 'silhouette sample');
  const rows: ChooseKRow[] = [];
  for (let k = minK; k <= maxK; k++) {
    const step = rows.length + 1;
    const result = await kmeans(matrix, {
      ...kmeansOptions,
      k,
      signal,
      onProgress: (event) => progress.update(step + event.fraction, steps, `k = ${k}`),
    });
    rows.push({
      k,
      inertia: result.inertia,
      silhouette: silhouetteFromDistances(sample, result.assignments),
      iterations: result.iterations,
    });
  }
  let suggested = rows[0] as ChooseKRow;
  for (const row of rows) if (row.silhouette > suggested.silhouette) suggested = row;
  const elbow = rows[elbowIndex(rows.map((row) => row.inertia))] as ChooseKRow;
  progress.finish(`suggested k = ${suggested.k}`);
  return {
    rows,
    suggestedK: suggested.k,
    elbowK: elbow.k,
    silhouetteRows: sample.rows.length,
  };
}
