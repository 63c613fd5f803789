/**
 * A walk between two embeddings: `steps` points from `from` (t = 0) to `to` (t = 1), each with
 * its nearest rows by exact cosine search. All points are searched in one pass over the blocks.
 */
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import { searchBlocksBatch, type BlockSource, type VectorBlock } from '../search/exact.ts';
import { norm } from '../search/kernels.ts';
import type { SearchHit } from '../search/top-k.ts';

export type InterpolationMethod = 'lerp' | 'slerp';

export interface InterpolationOptions {
  /** Points on the path, both ends included; ≥ 2, default 10. */
  steps?: number;
  /** Nearest rows per point; default 5. */
  k?: number;
  /**
   * `lerp` (default): the straight line, each point re-normalised; `slerp`: the great circle
   * between the two directions, at constant angular speed.
   */
  method?: InterpolationMethod;
  /** Show each row only at the first point where it appears (each point still gets k rows). */
  dedupe?: boolean;
  /** Keeps only chunks it accepts (see `ExactSearchOptions.filter`). */
  filter?: (chunkId: string) => boolean;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface PathPoint {
  /** Position on the path, 0 … 1. */
  t: number;
  /** The unit-length query at this point. */
  vector: Float32Array;
  hits: SearchHit[];
}

function unit(vector: Float32Array, name: string): Float32Array {
  const length = norm(vector);
  if (!(length > 0) || !Number.isFinite(length)) {
    throw new RangeError(`The ${name} embedding must be finite and non-zero.`);
  }
  return vector.map((value) => value / length);
}

/** The `steps` unit-length points between two embeddings. */
export function interpolationPoints(
  from: Float32Array,
  to: Float32Array,
  steps: number,
  method: InterpolationMethod = 'lerp',
): { t: number; vector: Float32Array }[] {
  if (from.length !== to.length) {
    throw new RangeError(`The end points have ${from.length} and ${to.length} dims.`);
  }
  if (!Number.isInteger(steps) || steps < 2) {
    throw new RangeError(`steps must be an integer ≥ 2, got ${steps}.`);
  }
  const a = unit(from, 'start');
  const b = unit(to, 'end');
  let cosine = 0;
  for (let j = 0; j < a.length; j++) cosine += (a[j] as number) * (b[j] as number);
  cosine = Math.min(1, Math.max(-1, cosine));
  // Opposite directions: the line passes through zero and the great circle is not unique.
  if (cosine < -1 + 1e-6) {
    throw new RangeError('The two embeddings point in opposite directions; no path between them.');
  }
  const angle = Math.acos(cosine);
  // Nearly parallel directions: slerp's weights are 0/0, and lerp is the same path there.
  const spherical = method === 'slerp' && angle > 1e-6;
  return Array.from({ length: steps }, (_, i) => {
    const t = i / (steps - 1);
    const wa = spherical ? Math.sin((1 - t) * angle) / Math.sin(angle) : 1 - t;
    const wb = spherical ? Math.sin(t * angle) / Math.sin(angle) : t;
    const point = a.map((value, j) => wa * value + wb * (b[j] as number));
    return { t, vector: unit(point, 'interpolated') };
  });
}

/** Counts rows as the search reads blocks, for progress. */
async function* counted(
  blocks: BlockSource,
  onRows: (rows: number) => void,
): AsyncGenerator<VectorBlock> {
  let rows = 0;
  for await (const block of blocks) {
    yield block;
    rows += block.count;
    onRows(rows);
  }
}

/**
 * Nearest `k` rows at each of `steps` points from `from` to `to`. Progress counts rows read;
 * `totalRows` (or an array of blocks) gives it a denominator.
 */
export async function interpolatePath(
  blocks: BlockSource,
  from: Float32Array,
  to: Float32Array,
  options: InterpolationOptions & { totalRows?: number } = {},
): Promise<PathPoint[]> {
  const {
    steps = 10,
    k = 5,
    method = 'lerp',
    dedupe = false,
    filter,
    onProgress,
    signal,
  } = options;
  if (!Number.isInteger(k) || k < 0)
    throw new RangeError(`k must be a whole number ≥ 0, got ${k}.`);
  const points = interpolationPoints(from, to, steps, method);
  const totalRows =
    options.totalRows ??
    (Array.isArray(blocks) ? (blocks as VectorBlock[]).reduce((s, b) => s + b.count, 0) : 0);
  const progress = new ProgressReporter(onProgress);
  progress.start(`interpolating in ${steps} steps`);
  // Deduplicated, a point can lose up to k rows to each earlier point, so it searches deeper.
  const depth = dedupe ? k * steps : k;
  const hitLists = await searchBlocksBatch(
    counted(blocks, (rows) => progress.update(rows, totalRows, 'searching')),
    points.map((point) => point.vector),
    depth,
    { metric: 'cosine', filter, signal },
  );
  const seen = new Set<string>();
  const path = points.map(({ t, vector }, i): PathPoint => {
    const hits = hitLists[i] ?? [];
    if (!dedupe) return { t, vector, hits };
    const fresh = hits.filter((hit) => !seen.has(hit.chunkId)).slice(0, k);
    for (const hit of fresh) seen.add(hit.chunkId);
    return { t, vector, hits: fresh };
  });
  progress.finish('path searched');
  return path;
}
