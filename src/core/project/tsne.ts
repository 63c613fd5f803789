import { ProgressReporter } from '../progress.ts';
import { approximateKnn, type KnnOptions } from './knn.ts';
import { Pacer } from './pacer.ts';
import { seededRandom } from './random.ts';
import { reduceForNeighbours, scaledLeadingColumns } from './reduce.ts';
import { SpaceTree } from './space-tree.ts';
import { perplexityAffinities, type SparseAffinities } from './tsne-affinities.ts';
import { assertVectors, type LongRunOptions, type ProjectionDims, type Vectors } from './types.ts';

export interface TsneOptions extends LongRunOptions {
  dims?: ProjectionDims;
  seed?: number;
  perplexity?: number;
  /** Early-exaggeration iterations (openTSNE: 250). */
  exaggerationIterations?: number;
  /** Iterations after early exaggeration (openTSNE: 500). */
  iterations?: number;
  exaggeration?: number;
  /** Default `max(200, n / 12)` (Belkina et al. 2019, openTSNE's "auto"). */
  learningRate?: number;
  /** Barnes–Hut accuracy: a cell is summarised when its half-width / distance < theta (bhtsne). */
  theta?: number;
  pcaDims?: number;
  knn?: KnnOptions;
}

/**
 * Barnes–Hut t-SNE (van der Maaten 2014), hand-written: npm has only O(n²) t-SNE (`tsne-js`,
 * `@keckelt/tsne`, karpathy's `tsnejs` lineage; druidjs's TSNE is also exact), useless past a
 * few thousand points. Sparse `P` on 3·perplexity neighbours from {@link approximateKnn} on a
 * PCA-50 copy; repulsion through a quadtree (2D) or octree (3D); early exaggeration, momentum
 * and gains; PCA initialisation scaled to std 1e-4 (openTSNE's default).
 */
export async function tsne(vectors: Vectors, options: TsneOptions = {}): Promise<Float32Array> {
  assertVectors(vectors);
  const dims = options.dims ?? 2;
  const rows = vectors.rows;
  if (rows < 4) throw new Error('t-SNE needs at least 4 points');
  const perplexity = Math.min(options.perplexity ?? 30, (rows - 1) / 3);
  const k = Math.min(rows - 1, Math.floor(3 * perplexity));
  const random = seededRandom(options.seed ?? 42);
  const reporter = new ProgressReporter(options.onProgress);
  reporter.start(`t-SNE ${dims}D of ${rows} points`);

  const reduced = await reduceForNeighbours(
    vectors,
    options.pcaDims ?? 50,
    random,
    options,
    reporter.sub(0, 0.05),
  );
  const knn = await approximateKnn(
    reduced,
    k,
    random,
    { signal: options.signal, ...options.knn },
    reporter.sub(0.05, 0.2),
  );
  const pacer = new Pacer(options.signal);
  await pacer.breathe();
  const p = perplexityAffinities(knn, perplexity);
  reporter.update(0.22, 1, 't-SNE: affinities');
  await pacer.breathe();

  const early = options.exaggerationIterations ?? 250;
  const late = options.iterations ?? 500;
  const total = early + late;
  const exaggeration = options.exaggeration ?? 12;
  const learningRate = options.learningRate ?? Math.max(200, rows / 12);
  const theta = options.theta ?? 0.5;
  const y = scaledLeadingColumns(reduced, dims, 1e-4);
  const state = new Optimiser(rows, dims);
  const tree = new SpaceTree(dims, rows);
  const report = reporter.sub(0.22, 1);
  for (let iter = 0; iter < total; iter++) {
    const inEarly = iter < early;
    await gradient(y, p, tree, dims, theta, inEarly ? exaggeration : 1, state.grad, pacer);
    state.step(y, learningRate, inEarly ? 0.5 : 0.8);
    if (pacer.due()) {
      report(iter + 1, total, 't-SNE: layout');
      await pacer.breathe();
    }
  }
  reporter.finish('t-SNE done');
  return Float32Array.from(y);
}

/** Momentum and per-coordinate gains (Jacobs 1988) as in van der Maaten's bhtsne. */
class Optimiser {
  readonly grad: Float64Array;
  private readonly update: Float64Array;
  private readonly gains: Float64Array;

  constructor(
    private readonly rows: number,
    private readonly dims: number,
  ) {
    this.grad = new Float64Array(rows * dims);
    this.update = new Float64Array(rows * dims);
    this.gains = new Float64Array(rows * dims).fill(1);
  }

  step(y: Float64Array, learningRate: number, momentum: number): void {
    const { grad, update, gains, rows, dims } = this;
    for (let i = 0; i < y.length; i++) {
      const g = grad[i] as number;
      const u = update[i] as number;
      const gain = g > 0 !== u > 0 ? (gains[i] as number) + 0.2 : (gains[i] as number) * 0.8;
      gains[i] = gain < 0.01 ? 0.01 : gain;
      update[i] = momentum * u - learningRate * (gains[i] as number) * g;
      y[i] = (y[i] as number) + (update[i] as number);
    }
    for (let c = 0; c < dims; c++) {
      let mean = 0;
      for (let i = 0; i < rows; i++) mean += y[i * dims + c] as number;
      mean /= rows;
      for (let i = 0; i < rows; i++) (y[i * dims + c] as number) -= mean;
    }
  }
}

/** KL gradient: exact sparse attraction, Barnes–Hut repulsion normalised by the global Z. */
async function gradient(
  y: Float64Array,
  p: SparseAffinities,
  tree: SpaceTree,
  dims: number,
  theta: number,
  exaggeration: number,
  grad: Float64Array,
  pacer: Pacer,
): Promise<void> {
  const rows = p.rows;
  tree.build(y, rows);
  const repulsion = new Float64Array(rows * dims);
  let z = 0;
  // Chunks run in a plain function: loops inside an async function keep their locals in the
  // generator's context and ran several times slower in V8.
  for (let lo = 0; lo < rows; lo += 1024) {
    z += repel(tree, y, dims, 4 * theta * theta, lo, Math.min(rows, lo + 1024), repulsion);
    if (pacer.due()) await pacer.breathe();
  }
  attract(y, p, dims, exaggeration, repulsion, 1 / z, grad);
}

/** Exact sparse attraction plus the normalised repulsion, into `grad`. */
function attract(
  y: Float64Array,
  p: SparseAffinities,
  dims: number,
  exaggeration: number,
  repulsion: Float64Array,
  inverseZ: number,
  grad: Float64Array,
): void {
  const rows = p.rows;
  const { offsets, columns, values } = p;
  for (let i = 0; i < rows; i++) {
    const yi = i * dims;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    for (let e = offsets[i] as number; e < (offsets[i + 1] as number); e++) {
      const yj = (columns[e] as number) * dims;
      const d0 = (y[yi] as number) - (y[yj] as number);
      const d1 = (y[yi + 1] as number) - (y[yj + 1] as number);
      const d2 = dims === 3 ? (y[yi + 2] as number) - (y[yj + 2] as number) : 0;
      const f = (exaggeration * (values[e] as number)) / (1 + d0 * d0 + d1 * d1 + d2 * d2);
      a0 += f * d0;
      a1 += f * d1;
      a2 += f * d2;
    }
    grad[yi] = 4 * (a0 - (repulsion[yi] as number) * inverseZ);
    grad[yi + 1] = 4 * (a1 - (repulsion[yi + 1] as number) * inverseZ);
    if (dims === 3) grad[yi + 2] = 4 * (a2 - (repulsion[yi + 2] as number) * inverseZ);
  }
}

/** Barnes–Hut repulsion of points `[lo, hi)` into `repulsion`; returns their part of Z. */
function repel(
  tree: SpaceTree,
  y: Float64Array,
  dims: number,
  theta2: number,
  lo: number,
  hi: number,
  repulsion: Float64Array,
): number {
  const { mass, centre, width, children, childCount, leafPoint } = tree;
  const stack = new Int32Array(64 * 8 * 2);
  let z = 0;
  for (let i = lo; i < hi; i++) {
    const yi = i * dims;
    const y0 = y[yi] as number;
    const y1 = y[yi + 1] as number;
    const y2 = dims === 3 ? (y[yi + 2] as number) : 0;
    let r0 = 0;
    let r1 = 0;
    let r2 = 0;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top] as number;
      const cn = node * dims;
      const d0 = y0 - (centre[cn] as number);
      const d1 = y1 - (centre[cn + 1] as number);
      const d2 = dims === 3 ? y2 - (centre[cn + 2] as number) : 0;
      const dist2 = d0 * d0 + d1 * d1 + d2 * d2;
      const n = childCount[node] as number;
      const w = width[node] as number;
      if (n > 0 && w * w >= theta2 * dist2) {
        const first = children[node] as number;
        for (let ch = 0; ch < n; ch++) stack[top++] = first + ch;
        continue;
      }
      let count = mass[node] as number;
      // A leaf holding this very point (possibly with near-duplicates) skips itself.
      if (n === 0 && (leafPoint[node] === i || (count > 1 && dist2 === 0))) count -= 1;
      if (count <= 0) continue;
      const q = 1 / (1 + dist2);
      z += count * q;
      const f = count * q * q;
      r0 += f * d0;
      r1 += f * d1;
      r2 += f * d2;
    }
    repulsion[yi] = r0;
    repulsion[yi + 1] = r1;
    if (dims === 3) repulsion[yi + 2] = r2;
  }
  return z;
}
