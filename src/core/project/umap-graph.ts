import type { KnnGraph } from './knn.ts';

/** A symmetric weighted graph as directed edge lists (each undirected edge in both directions). */
export interface FuzzyGraph {
  rows: number;
  heads: Int32Array;
  tails: Int32Array;
  weights: Float32Array;
}

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

/**
 * umap-learn's `smooth_knn_dist` + `compute_membership_strengths` + fuzzy union
 * (`A + Aᵀ − A∘Aᵀ`) on flat typed arrays. `knn` excludes each point itself, so the
 * neighbourhood size is `knn.k + 1` as in umap-learn. Local connectivity is 1.
 */
export function fuzzySimplicialSet(knn: KnnGraph): FuzzyGraph {
  const { rows, k, distances, indices } = knn;
  const target = Math.log2(k + 1);
  let meanAll = 0;
  for (let i = 0; i < distances.length; i++) meanAll += distances[i] as number;
  meanAll /= Math.max(1, distances.length);

  const directed = new Float32Array(rows * k);
  for (let i = 0; i < rows; i++) {
    const base = i * k;
    let rho = 0;
    let mean = 0;
    for (let j = 0; j < k; j++) {
      const d = distances[base + j] as number;
      mean += d;
      if (rho === 0 && d > 0) rho = d;
    }
    mean /= k;
    let lo = 0;
    let hi = Infinity;
    let sigma = 1;
    for (let iter = 0; iter < 64; iter++) {
      let psum = 1; // the point itself, at distance 0
      for (let j = 0; j < k; j++) {
        const d = (distances[base + j] as number) - rho;
        psum += d > 0 ? Math.exp(-d / sigma) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = sigma;
        sigma = (lo + hi) / 2;
      } else {
        lo = sigma;
        sigma = hi === Infinity ? sigma * 2 : (lo + hi) / 2;
      }
    }
    const floor = MIN_K_DIST_SCALE * (rho > 0 ? mean : meanAll);
    if (sigma < floor) sigma = floor;
    for (let j = 0; j < k; j++) {
      const d = (distances[base + j] as number) - rho;
      directed[base + j] = d <= 0 ? 1 : Math.exp(-d / sigma);
    }
  }

  // Fuzzy union: pair each directed edge with its reverse, if the reverse exists.
  const slot = new Map<number, number>();
  const firstWeight: number[] = [];
  const secondWeight: number[] = [];
  const low: number[] = [];
  const high: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < k; j++) {
      const other = indices[i * k + j] as number;
      if (other < 0 || other === i) continue;
      const w = directed[i * k + j] as number;
      const a = Math.min(i, other);
      const b = Math.max(i, other);
      const key = a * rows + b;
      const at = slot.get(key);
      if (at === undefined) {
        slot.set(key, low.length);
        low.push(a);
        high.push(b);
        firstWeight.push(w);
        secondWeight.push(0);
      } else {
        secondWeight[at] = w;
      }
    }
  }
  const edges = low.length;
  const heads = new Int32Array(2 * edges);
  const tails = new Int32Array(2 * edges);
  const weights = new Float32Array(2 * edges);
  for (let e = 0; e < edges; e++) {
    const x = firstWeight[e] as number;
    const y = secondWeight[e] as number;
    const w = x + y - x * y;
    heads[2 * e] = low[e] as number;
    tails[2 * e] = high[e] as number;
    heads[2 * e + 1] = high[e] as number;
    tails[2 * e + 1] = low[e] as number;
    weights[2 * e] = w;
    weights[2 * e + 1] = w;
  }
  return { rows, heads, tails, weights };
}
