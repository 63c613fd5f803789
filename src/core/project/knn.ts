import type { Random } from './random.ts';
import { Pacer } from './pacer.ts';
import { assertVectors, type LongRunOptions, type PhaseReport, type Vectors } from './types.ts';

/** k nearest neighbours of every row (self excluded), nearest first, Euclidean distances. */
export interface KnnGraph {
  rows: number;
  k: number;
  indices: Int32Array;
  distances: Float32Array;
}

export interface KnnOptions extends LongRunOptions {
  /** Random-projection trees; more trees, better recall, linear cost. */
  trees?: number;
  /** Largest leaf; every pair inside a leaf is compared. */
  leafSize?: number;
  /** Rounds of "neighbours of neighbours" refinement (NN-descent's local join). */
  refinements?: number;
  /** Neighbours sampled per point in each refinement round. */
  refineSample?: number;
}

function squaredDistance(data: Float32Array, a: number, b: number, dims: number): number {
  let s = 0;
  const ia = a * dims;
  const ib = b * dims;
  for (let c = 0; c < dims; c++) {
    const d = (data[ia + c] as number) - (data[ib + c] as number);
    s += d * d;
  }
  return s;
}

/** Per-row bounded max-heaps of candidates (squared distances), in two flat arrays. */
class NeighbourHeaps {
  readonly indices: Int32Array;
  readonly distances: Float64Array;

  constructor(
    readonly rows: number,
    readonly k: number,
  ) {
    this.indices = new Int32Array(rows * k).fill(-1);
    this.distances = new Float64Array(rows * k).fill(Infinity);
  }

  worst(row: number): number {
    return this.distances[row * this.k] as number;
  }

  /** Offers `candidate` at squared distance `d` to `row`'s heap; false if kept out. */
  push(row: number, candidate: number, d: number): boolean {
    const { k, indices, distances } = this;
    const base = row * k;
    if (d >= (distances[base] as number)) return false;
    for (let i = base; i < base + k; i++) if (indices[i] === candidate) return false;
    let pos = 0;
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= k) break;
      const right = left + 1;
      let child = left;
      if (right < k && (distances[base + right] as number) > (distances[base + left] as number))
        child = right;
      if ((distances[base + child] as number) <= d) break;
      distances[base + pos] = distances[base + child] as number;
      indices[base + pos] = indices[base + child] as number;
      pos = child;
    }
    distances[base + pos] = d;
    indices[base + pos] = candidate;
    return true;
  }

  /** Sorts each row nearest first and converts to Euclidean distances. */
  toGraph(): KnnGraph {
    const { rows, k } = this;
    const indices = new Int32Array(rows * k);
    const distances = new Float32Array(rows * k);
    const order = Array.from({ length: k }, (_, i) => i);
    for (let r = 0; r < rows; r++) {
      const base = r * k;
      order.sort(
        (a, b) => (this.distances[base + a] as number) - (this.distances[base + b] as number),
      );
      for (let j = 0; j < k; j++) {
        indices[base + j] = this.indices[base + (order[j] as number)] as number;
        distances[base + j] = Math.sqrt(this.distances[base + (order[j] as number)] as number);
      }
    }
    return { rows, k, indices, distances };
  }
}

/** Splits `perm[lo, hi)` by a random hyperplane between two of its points; returns the cut. */
function splitByHyperplane(
  data: Float32Array,
  dims: number,
  perm: Int32Array,
  lo: number,
  hi: number,
  random: Random,
  normal: Float64Array,
): number {
  const size = hi - lo;
  const a = perm[lo + Math.floor(random() * size)] as number;
  let b = perm[lo + Math.floor(random() * size)] as number;
  for (let tries = 0; b === a && tries < 8; tries++)
    b = perm[lo + Math.floor(random() * size)] as number;
  let offset = 0;
  for (let c = 0; c < dims; c++) {
    const xa = data[a * dims + c] as number;
    const xb = data[b * dims + c] as number;
    normal[c] = xa - xb;
    offset += (xa - xb) * (xa + xb) * 0.5;
  }
  let left = lo;
  let right = hi - 1;
  while (left <= right) {
    const p = perm[left] as number;
    let margin = -offset;
    for (let c = 0; c < dims; c++) margin += (normal[c] as number) * (data[p * dims + c] as number);
    const goLeft = margin > 0 || (margin === 0 && random() < 0.5);
    if (goLeft) left++;
    else {
      perm[left] = perm[right] as number;
      perm[right] = p;
      right--;
    }
  }
  // Duplicates or a degenerate plane put everything on one side: split in half instead.
  if (left === lo || left === hi) return lo + (size >> 1);
  return left;
}

/**
 * Approximate kNN: a forest of random-projection trees (every pair in a leaf is compared),
 * then rounds of NN-descent's local join. Fast enough for 100k points of ~50 dims, where an
 * exact scan (n² · d) is not; recall is measured in the tests.
 */
export async function approximateKnn(
  vectors: Vectors,
  k: number,
  random: Random,
  options: KnnOptions = {},
  report: PhaseReport = () => {},
): Promise<KnnGraph> {
  assertVectors(vectors);
  const { data, rows, dims } = vectors;
  if (!Number.isInteger(k) || k < 1 || k >= rows) {
    throw new Error(`k must be an integer in [1, ${rows - 1}]`);
  }
  const trees = options.trees ?? (rows < 5000 ? 4 : 8);
  const leafSize = Math.max(options.leafSize ?? Math.max(2 * k, 32), k + 1);
  const refinements = options.refinements ?? 2;
  const sample = Math.min(k, options.refineSample ?? 12);
  const pacer = new Pacer(options.signal);
  const heaps = new NeighbourHeaps(rows, k);
  const totalWork = trees + refinements;

  const perm = new Int32Array(rows);
  const normal = new Float64Array(dims);
  const stack: number[] = [];
  for (let t = 0; t < trees; t++) {
    for (let i = 0; i < rows; i++) perm[i] = i;
    stack.length = 0;
    stack.push(0, rows);
    let leafRows = 0;
    while (stack.length > 0) {
      const hi = stack.pop() ?? 0;
      const lo = stack.pop() ?? 0;
      if (hi - lo > leafSize) {
        const cut = splitByHyperplane(data, dims, perm, lo, hi, random, normal);
        stack.push(lo, cut, cut, hi);
        continue;
      }
      compareLeaf(data, dims, perm, lo, hi, heaps);
      leafRows += hi - lo;
      if (pacer.due()) {
        report(t + leafRows / rows, totalWork, 'neighbours: trees');
        await pacer.breathe();
      }
    }
    report(t + 1, totalWork, 'neighbours: trees');
  }

  const outer = new Int32Array(sample);
  const inner = new Int32Array(sample);
  for (let round = 0; round < refinements; round++) {
    let improved = 0;
    for (let lo = 0; lo < rows; lo += 512) {
      improved += localJoin(data, dims, heaps, lo, Math.min(rows, lo + 512), random, outer, inner);
      if (pacer.due()) {
        report(trees + round + lo / rows, totalWork, 'neighbours: refining');
        await pacer.breathe();
      }
    }
    report(trees + round + 1, totalWork, 'neighbours: refining');
    // NN-descent's stopping rule: stop once a round changes almost nothing.
    if (improved < 0.001 * rows * k) break;
  }
  return heaps.toGraph();
}

/** Heap positions to visit: all of them when the sample covers the heap, else random ones. */
function samplePositions(k: number, random: Random, out: Int32Array): void {
  if (out.length >= k) {
    for (let i = 0; i < out.length; i++) out[i] = i;
    return;
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * k);
}

/** Every pair of one leaf's points offered to both heaps. */
function compareLeaf(
  data: Float32Array,
  dims: number,
  perm: Int32Array,
  lo: number,
  hi: number,
  heaps: NeighbourHeaps,
): void {
  for (let i = lo; i < hi; i++) {
    const p = perm[i] as number;
    for (let j = i + 1; j < hi; j++) {
      const q = perm[j] as number;
      const d = squaredDistance(data, p, q, dims);
      heaps.push(p, q, d);
      heaps.push(q, p, d);
    }
  }
}

/**
 * NN-descent's local join for rows `[lo, hi)`: each row meets sampled neighbours of its
 * sampled neighbours. Returns how many heap entries improved. (A plain function: loops inside
 * async functions ran several times slower in V8.)
 */
function localJoin(
  data: Float32Array,
  dims: number,
  heaps: NeighbourHeaps,
  lo: number,
  hi: number,
  random: Random,
  outer: Int32Array,
  inner: Int32Array,
): number {
  const { k, indices } = heaps;
  let improved = 0;
  for (let i = lo; i < hi; i++) {
    samplePositions(k, random, outer);
    for (let a = 0; a < outer.length; a++) {
      const j = indices[i * k + (outer[a] as number)] as number;
      if (j < 0) continue;
      samplePositions(k, random, inner);
      for (let b = 0; b < inner.length; b++) {
        const l = indices[j * k + (inner[b] as number)] as number;
        if (l < 0 || l === i) continue;
        const d = squaredDistance(data, i, l, dims);
        if (heaps.push(i, l, d)) improved++;
        if (heaps.push(l, i, d)) improved++;
      }
    }
  }
  return improved;
}
