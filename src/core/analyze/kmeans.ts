/**
 * k-means over embedding rows: k-means++ seeding from a seeded PRNG, then Lloyd iterations (or
 * mini-batch updates for large n). `cosine` is spherical k-means: rows are compared by direction
 * and centroids are unit-length mean directions; `euclidean` is the classic squared-distance form.
 *
 * Hand-written rather than taken from a library: the npm k-means packages (ml-kmeans and
 * friends) take arrays of number arrays, allocate per row, and have no progress or abort, which
 * rules them out for 100k × 384 Float32Array rows inside a worker.
 */
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import { mulberry32 } from '../prepare/split.ts';
import { dotAt, inverseRowNorms } from '../search/kernels.ts';
import { dotSpan, dotTile2x4 } from './dot-tile.ts';
import { Pacer, rowCount, rowSquaredNorms, type EmbeddingMatrix } from './matrix.ts';

export type ClusterMetric = 'cosine' | 'euclidean';

export interface MiniBatchOptions {
  /** Rows drawn (with replacement) per update; default 1024. */
  batchSize?: number;
  /** Upper bound on updates; default 200. */
  maxBatches?: number;
  /** Stop after this many batches without a better smoothed batch inertia; default 10. */
  maxNoImprovement?: number;
}

export interface KMeansOptions {
  k: number;
  /** Default `cosine`. Cosine does not assume unit rows: it normalises where it matters. */
  metric?: ClusterMetric;
  /** Same data, options and seed give the same result. Default 0. */
  seed?: number;
  /** Lloyd iterations (update + reassign) at most; default 100. */
  maxIterations?: number;
  /** Stop when inertia improves by no more than this fraction of itself; default 1e-4. */
  tolerance?: number;
  /** Candidates per k-means++ step (greedy k-means++); default 2 + ⌊ln k⌋ as in scikit-learn. */
  seedTrials?: number;
  /** Mini-batch k-means (Sculley 2010) instead of Lloyd; `true` takes the defaults. */
  miniBatch?: boolean | MiniBatchOptions;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface KMeansResult {
  k: number;
  dims: number;
  metric: ClusterMetric;
  /** Cluster of each row, 0 … k − 1, nearest to the returned centroids. */
  assignments: Int32Array;
  /** k × dims, row-major; unit length for cosine. */
  centroids: Float32Array;
  /** Rows per cluster. */
  sizes: Int32Array;
  /** Sum over rows of squared distance (euclidean) or 1 − cosine (cosine) to their centroid. */
  inertia: number;
  /** Lloyd iterations or mini-batches run. */
  iterations: number;
  /** Whether it stopped on the tolerance (or no change) rather than the iteration cap. */
  converged: boolean;
  /** The rows k-means++ picked as initial centroids, in order. */
  seeds: Int32Array;
}

/** Rows scored together, so a block stays in cache while every centroid tile passes over it. */
const ROW_BLOCK = 256;
/** Centroids per tile: 64 × 384 floats is 96 KiB, small enough to stay in L2 across a block. */
const CENTROID_TILE = 64;

/** The data and the per-row constants both metrics need. */
interface Space {
  readonly vectors: Float32Array;
  readonly n: number;
  readonly dims: number;
  readonly metric: ClusterMetric;
  /** Cosine: reciprocal row norms, or null when every row is unit length. */
  readonly inverse: Float64Array | null;
  /** Euclidean: squared row norms. */
  readonly squared: Float64Array | null;
}

function makeSpace(matrix: EmbeddingMatrix, metric: ClusterMetric): Space {
  const n = rowCount(matrix);
  const { vectors, dims } = matrix;
  return {
    vectors,
    n,
    dims,
    metric,
    inverse: metric === 'cosine' ? inverseRowNorms(vectors, n, dims) : null,
    squared: metric === 'euclidean' ? rowSquaredNorms(vectors, n, dims) : null,
  };
}

/**
 * Centroids plus the per-centroid term of the score. Assignment maximises a score that needs one
 * dot product per (row, centroid): cosine `x·c` (c is unit), euclidean `2x·c − |c|²`, since
 * `|x − c|² = |x|² − (2x·c − |c|²)`.
 */
class Centroids {
  readonly data: Float32Array;
  readonly views: Float32Array[];
  readonly bias: Float64Array;

  constructor(
    readonly k: number,
    readonly dims: number,
    private readonly metric: ClusterMetric,
  ) {
    this.data = new Float32Array(k * dims);
    this.views = Array.from({ length: k }, (_, c) => this.data.subarray(c * dims, (c + 1) * dims));
    this.bias = new Float64Array(k);
  }

  setFromRow(c: number, space: Space, row: number): void {
    const scale = space.inverse ? (space.inverse[row] as number) : 1;
    const offset = row * this.dims;
    const view = this.views[c] as Float32Array;
    for (let j = 0; j < this.dims; j++) view[j] = (space.vectors[offset + j] as number) * scale;
    if (this.metric === 'cosine' && !space.inverse) this.normalise(c);
    this.refresh(c);
  }

  /** Scales centroid c to unit length (cosine); a zero centroid stays zero. */
  normalise(c: number): void {
    const view = this.views[c] as Float32Array;
    const length = Math.sqrt(dotAt(view, view, 0));
    if (length > 0) for (let j = 0; j < this.dims; j++) view[j] = (view[j] as number) / length;
  }

  refresh(c: number): void {
    if (this.metric === 'euclidean') {
      const view = this.views[c] as Float32Array;
      this.bias[c] = dotAt(view, view, 0);
    }
  }

  score(c: number, space: Space, offset: number): number {
    const dot = dotAt(this.views[c] as Float32Array, space.vectors, offset);
    return this.metric === 'cosine' ? dot : 2 * dot - (this.bias[c] as number);
  }
}

/** The distance that inertia sums, from the best assignment score of a row. */
function distanceFromScore(space: Space, row: number, score: number): number {
  if (space.metric === 'cosine') {
    return 1 - score * (space.inverse ? (space.inverse[row] as number) : 1);
  }
  return Math.max(0, (space.squared?.[row] as number) - score);
}

/** Assigns every row to its best centroid, writing distances too; returns how many rows moved. */
async function assignAll(
  space: Space,
  centroids: Centroids,
  assignments: Int32Array,
  distances: Float64Array,
  pacer: Pacer,
  report: (rows: number) => void,
): Promise<number> {
  const { n, dims, vectors } = space;
  const { k, data, bias } = centroids;
  const euclidean = space.metric === 'euclidean';
  const bestScore = new Float64Array(ROW_BLOCK);
  const bestIndex = new Int32Array(ROW_BLOCK);
  const tile = new Float64Array(8);
  let moved = 0;
  for (let start = 0; start < n; start += ROW_BLOCK) {
    const end = Math.min(n, start + ROW_BLOCK);
    bestScore.fill(-Infinity);
    bestIndex.fill(0);
    for (let c0 = 0; c0 < k; c0 += CENTROID_TILE) {
      const c1 = Math.min(k, c0 + CENTROID_TILE);
      // Rows go in pairs; an odd last row is paired with itself and the copy is ignored.
      for (let row = start; row < end; row += 2) {
        const r0 = row - start;
        const r1 = Math.min(row + 1, end - 1) - start;
        const o0 = row * dims;
        const o1 = (r1 + start) * dims;
        let best0 = bestScore[r0] as number;
        let best1 = bestScore[r1] as number;
        let index0 = bestIndex[r0] as number;
        let index1 = bestIndex[r1] as number;
        let c = c0;
        for (; c + 4 <= c1; c += 4) {
          dotTile2x4(vectors, o0, o1, data, c * dims, dims, dims, tile);
          for (let q = 0; q < 4; q++) {
            const shift = euclidean ? (bias[c + q] as number) : 0;
            const scale = euclidean ? 2 : 1;
            // Strict > keeps the lowest centroid on ties, so results do not depend on tiling.
            const s0 = scale * (tile[q] as number) - shift;
            const s1 = scale * (tile[4 + q] as number) - shift;
            if (s0 > best0) {
              best0 = s0;
              index0 = c + q;
            }
            if (s1 > best1) {
              best1 = s1;
              index1 = c + q;
            }
          }
        }
        for (; c < c1; c++) {
          const s0 = centroids.score(c, space, o0);
          const s1 = centroids.score(c, space, o1);
          if (s0 > best0) {
            best0 = s0;
            index0 = c;
          }
          if (s1 > best1) {
            best1 = s1;
            index1 = c;
          }
        }
        bestScore[r0] = best0;
        bestIndex[r0] = index0;
        bestScore[r1] = best1;
        bestIndex[r1] = index1;
      }
    }
    for (let row = start; row < end; row++) {
      const index = bestIndex[row - start] as number;
      if (assignments[row] !== index) moved++;
      assignments[row] = index;
      distances[row] = distanceFromScore(space, row, bestScore[row - start] as number);
    }
    await pacer.checkpoint(() => report(end));
  }
  return moved;
}

/**
 * Distances from every row to each candidate row, `out[t · n + row]`. Candidates are copied
 * (unit length for cosine) into a buffer padded to whole tiles of 4 for the 2 × 4 kernel.
 */
function distancesToRows(space: Space, candidates: Int32Array, out: Float64Array): void {
  const { n, dims, vectors, inverse, squared } = space;
  const count = candidates.length;
  const padded = Math.ceil(count / 4) * 4;
  const buffer = new Float32Array(padded * dims);
  const bias = new Float64Array(padded);
  for (let t = 0; t < count; t++) {
    const row = candidates[t] as number;
    const scale = inverse ? (inverse[row] as number) : 1;
    for (let j = 0; j < dims; j++) {
      buffer[t * dims + j] = (vectors[row * dims + j] as number) * scale;
    }
    if (space.metric === 'cosine' && !inverse) {
      const length = Math.sqrt(dotSpan(buffer, t * dims, buffer, t * dims, dims));
      for (let j = 0; j < dims && length > 0; j++) {
        buffer[t * dims + j] = (buffer[t * dims + j] as number) / length;
      }
    }
    bias[t] = squared ? dotSpan(buffer, t * dims, buffer, t * dims, dims) : 0;
  }
  const tile = new Float64Array(8);
  for (let row = 0; row < n; row += 2) {
    const second = Math.min(row + 1, n - 1);
    for (let t0 = 0; t0 < count; t0 += 4) {
      dotTile2x4(vectors, row * dims, second * dims, buffer, t0 * dims, dims, dims, tile);
      for (let q = 0; q < 4 && t0 + q < count; q++) {
        const t = t0 + q;
        const shift = bias[t] as number;
        out[t * n + row] = distanceFromScore(
          space,
          row,
          squared ? 2 * (tile[q] as number) - shift : (tile[q] as number),
        );
        out[t * n + second] = distanceFromScore(
          space,
          second,
          squared ? 2 * (tile[4 + q] as number) - shift : (tile[4 + q] as number),
        );
      }
    }
  }
}

/** A row drawn with probability proportional to `weights` (whose sum is `total` > 0). */
function drawWeighted(weights: Float64Array, total: number, random: () => number): number {
  const target = random() * total;
  let cumulative = 0;
  let pick = -1;
  for (let row = 0; row < weights.length; row++) {
    const w = weights[row] as number;
    if (w <= 0) continue;
    cumulative += w;
    pick = row;
    if (cumulative > target) break;
  }
  return pick;
}

/**
 * Greedy k-means++ (as scikit-learn does it): the first centroid is a uniform row; for each next
 * one, `trials` rows are drawn with probability proportional to their distance to the nearest
 * centroid so far (squared distance for euclidean, 1 − cosine, i.e. half the squared chord, for
 * cosine), and the one that lowers the total distance most is kept. Plain k-means++ (one trial)
 * often puts two seeds in one cluster once most clusters are covered.
 */
async function seedPlusPlus(
  space: Space,
  centroids: Centroids,
  random: () => number,
  trials: number,
  pacer: Pacer,
  report: (fraction: number) => void,
): Promise<Int32Array> {
  const { n } = space;
  const k = centroids.k;
  const seeds = new Int32Array(k);
  const first = Math.min(n - 1, Math.floor(random() * n));
  const minDistances = new Float64Array(n);
  distancesToRows(space, Int32Array.of(first), minDistances);
  seeds[0] = first;
  centroids.setFromRow(0, space, first);
  const candidateDistances = new Float64Array(trials * n);
  const candidates = new Int32Array(trials);
  for (let c = 1; c < k; c++) {
    await pacer.checkpoint(() => report(c / k));
    let total = 0;
    for (let row = 0; row < n; row++) total += minDistances[row] as number;
    // With total 0 every row sits on a centroid already (fewer distinct rows than k).
    for (let t = 0; t < trials; t++) {
      candidates[t] =
        total > 0
          ? drawWeighted(minDistances, total, random)
          : Math.min(n - 1, Math.floor(random() * n));
    }
    distancesToRows(space, candidates, candidateDistances);
    let best = 0;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      let potential = 0;
      for (let row = 0, o = t * n; row < n; row++, o++) {
        potential += Math.min(minDistances[row] as number, candidateDistances[o] as number);
      }
      if (potential < bestPotential) {
        bestPotential = potential;
        best = t;
      }
    }
    for (let row = 0, o = best * n; row < n; row++, o++) {
      minDistances[row] = Math.min(minDistances[row] as number, candidateDistances[o] as number);
    }
    seeds[c] = candidates[best] as number;
    centroids.setFromRow(c, space, candidates[best] as number);
  }
  report(1);
  return seeds;
}

/** Lloyd's update: each centroid becomes the mean (cosine: the mean direction) of its rows. */
function updateCentroids(
  space: Space,
  centroids: Centroids,
  assignments: Int32Array,
  distances: Float64Array,
  sums: Float64Array,
  counts: Int32Array,
): void {
  const { n, dims, vectors, inverse } = space;
  const k = centroids.k;
  sums.fill(0);
  counts.fill(0);
  for (let row = 0, offset = 0; row < n; row++, offset += dims) {
    const c = assignments[row] as number;
    counts[c] = (counts[c] as number) + 1;
    const weight = inverse ? (inverse[row] as number) : 1;
    const base = c * dims;
    for (let j = 0; j < dims; j++) {
      sums[base + j] = (sums[base + j] as number) + weight * (vectors[offset + j] as number);
    }
  }
  const data = centroids.data;
  for (let c = 0; c < k; c++) {
    const count = counts[c] as number;
    if (count === 0) continue;
    const base = c * dims;
    let scale = 1 / count;
    if (space.metric === 'cosine') {
      let sum = 0;
      for (let j = base; j < base + dims; j++) sum += (sums[j] as number) ** 2;
      // Members that cancel out leave no direction: keep the previous centroid.
      if (sum === 0) continue;
      scale = 1 / Math.sqrt(sum);
    }
    for (let j = 0; j < dims; j++) data[base + j] = (sums[base + j] as number) * scale;
    centroids.refresh(c);
  }
  // An empty cluster restarts at the row worst served by its centroid, one row per empty cluster.
  for (let c = 0; c < k; c++) {
    if ((counts[c] as number) > 0) continue;
    let worst = -1;
    let worstDistance = -Infinity;
    for (let row = 0; row < n; row++) {
      const d = distances[row] as number;
      if (d > worstDistance && (counts[assignments[row] as number] as number) > 1) {
        worst = row;
        worstDistance = d;
      }
    }
    if (worst < 0) continue;
    distances[worst] = -Infinity;
    counts[assignments[worst] as number] = (counts[assignments[worst] as number] as number) - 1;
    counts[c] = 1;
    centroids.setFromRow(c, space, worst);
  }
}

function resolveMiniBatch(option: KMeansOptions['miniBatch']): Required<MiniBatchOptions> | null {
  if (!option) return null;
  const given = option === true ? {} : option;
  const resolved = {
    batchSize: given.batchSize ?? 1024,
    maxBatches: given.maxBatches ?? 200,
    maxNoImprovement: given.maxNoImprovement ?? 10,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`miniBatch.${name} must be a positive integer, got ${value}.`);
    }
  }
  return resolved;
}

/** Sculley's mini-batch k-means: per-centroid learning rate 1 / (rows it has absorbed). */
async function miniBatchUpdates(
  space: Space,
  centroids: Centroids,
  random: () => number,
  options: Required<MiniBatchOptions>,
  pacer: Pacer,
  report: (fraction: number) => void,
): Promise<{ batches: number; converged: boolean }> {
  const { n, dims, vectors, inverse } = space;
  const { batchSize, maxBatches, maxNoImprovement } = options;
  const absorbed = new Float64Array(centroids.k);
  const batchRows = new Int32Array(batchSize);
  const batchCentroids = new Int32Array(batchSize);
  const touched = new Uint8Array(centroids.k);
  // Smoothing as in scikit-learn: a batch weighs batchSize / n of the running average.
  const alpha = Math.min(1, (2 * batchSize) / (n + 1));
  let smoothed = NaN;
  let bestSmoothed = Infinity;
  let sinceBest = 0;
  for (let batch = 1; batch <= maxBatches; batch++) {
    let batchInertia = 0;
    for (let i = 0; i < batchSize; i++) {
      const row = Math.min(n - 1, Math.floor(random() * n));
      const offset = row * dims;
      let best = -Infinity;
      let index = 0;
      for (let c = 0; c < centroids.k; c++) {
        const score = centroids.score(c, space, offset);
        if (score > best) {
          best = score;
          index = c;
        }
      }
      batchRows[i] = row;
      batchCentroids[i] = index;
      batchInertia += distanceFromScore(space, row, best);
    }
    touched.fill(0);
    for (let i = 0; i < batchSize; i++) {
      const row = batchRows[i] as number;
      const c = batchCentroids[i] as number;
      absorbed[c] = (absorbed[c] as number) + 1;
      const rate = 1 / (absorbed[c] as number);
      const weight = rate * (inverse ? (inverse[row] as number) : 1);
      const view = centroids.views[c] as Float32Array;
      const offset = row * dims;
      for (let j = 0; j < dims; j++) {
        view[j] = (1 - rate) * (view[j] as number) + weight * (vectors[offset + j] as number);
      }
      touched[c] = 1;
    }
    for (let c = 0; c < centroids.k; c++) {
      if (touched[c] === 0) continue;
      if (space.metric === 'cosine') centroids.normalise(c);
      centroids.refresh(c);
    }
    const mean = batchInertia / batchSize;
    smoothed = Number.isNaN(smoothed) ? mean : smoothed * (1 - alpha) + mean * alpha;
    if (smoothed < bestSmoothed) {
      bestSmoothed = smoothed;
      sinceBest = 0;
    } else if (++sinceBest >= maxNoImprovement) {
      return { batches: batch, converged: true };
    }
    await pacer.checkpoint(() => report(batch / maxBatches));
  }
  return { batches: maxBatches, converged: false };
}

function checkOptions(k: number, n: number, maxIterations: number, tolerance: number): void {
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new RangeError(`k must be a whole number from 1 to the row count ${n}, got ${k}.`);
  }
  if (!Number.isInteger(maxIterations) || maxIterations < 0) {
    throw new RangeError(`maxIterations must be a whole number ≥ 0, got ${maxIterations}.`);
  }
  if (!(tolerance >= 0)) throw new RangeError(`tolerance must be ≥ 0, got ${tolerance}.`);
}

export async function kmeans(
  matrix: EmbeddingMatrix,
  options: KMeansOptions,
): Promise<KMeansResult> {
  const {
    k,
    metric = 'cosine',
    seed = 0,
    maxIterations = 100,
    tolerance = 1e-4,
    onProgress,
    signal,
  } = options;
  const space = makeSpace(matrix, metric);
  const { n, dims } = space;
  checkOptions(k, n, maxIterations, tolerance);
  const miniBatch = resolveMiniBatch(options.miniBatch);
  const seedTrials = options.seedTrials ?? 2 + Math.floor(Math.log(k));
  if (!Number.isInteger(seedTrials) || seedTrials < 1) {
    throw new RangeError(`seedTrials must be a positive integer, got ${seedTrials}.`);
  }
  const progress = new ProgressReporter(onProgress);
  const pacer = new Pacer(signal);
  const random = mulberry32(Math.trunc(seed) ^ 0x2545f491);
  progress.start(`k-means, k = ${k}`);

  // Progress in full assignment passes: seeding costs about one, then each iteration one.
  const passes = miniBatch ? 3 : maxIterations + 2;
  const centroids = new Centroids(k, dims, metric);
  const seeds = await seedPlusPlus(space, centroids, random, seedTrials, pacer, (f) =>
    progress.update(f, passes, 'seeding'),
  );
  const assignments = new Int32Array(n).fill(-1);
  const distances = new Float64Array(n);
  const sum = (): number => distances.reduce((total, d) => total + d, 0);
  let iterations = 0;
  let converged = false;

  if (miniBatch) {
    const result = await miniBatchUpdates(space, centroids, random, miniBatch, pacer, (f) =>
      progress.update(1 + f, passes, 'mini-batches'),
    );
    iterations = result.batches;
    converged = result.converged;
    await assignAll(space, centroids, assignments, distances, pacer, (rows) =>
      progress.update(2 + rows / n, passes, 'assigning'),
    );
  } else {
    await assignAll(space, centroids, assignments, distances, pacer, (rows) =>
      progress.update(1 + rows / n, passes, 'assigning'),
    );
    let previous = sum();
    const sums = new Float64Array(k * dims);
    const counts = new Int32Array(k);
    while (iterations < maxIterations) {
      updateCentroids(space, centroids, assignments, distances, sums, counts);
      iterations++;
      const moved = await assignAll(space, centroids, assignments, distances, pacer, (rows) =>
        progress.update(1 + iterations + rows / n, passes, `iteration ${iterations}`),
      );
      const inertia = sum();
      if (moved === 0 || previous - inertia <= tolerance * previous) {
        converged = true;
        break;
      }
      previous = inertia;
    }
  }

  const sizes = new Int32Array(k);
  for (const c of assignments) sizes[c] = (sizes[c] as number) + 1;
  progress.finish(`k-means done after ${iterations} iterations`);
  return {
    k,
    dims,
    metric,
    assignments,
    centroids: centroids.data,
    sizes,
    inertia: sum(),
    iterations,
    converged,
    seeds,
  };
}
