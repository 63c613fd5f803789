import type { KnnGraph } from './knn.ts';

/** Symmetric joint probabilities `P` in CSR form; all entries sum to 1. */
export interface SparseAffinities {
  rows: number;
  offsets: Int32Array;
  columns: Int32Array;
  values: Float64Array;
}

/**
 * t-SNE's input similarities on the kNN graph (van der Maaten 2014): per row, a Gaussian whose
 * precision is found by bisection so the entropy matches `log(perplexity)`, then
 * `P = (P_{j|i} + P_{i|j}) / 2n`.
 */
export function perplexityAffinities(knn: KnnGraph, perplexity: number): SparseAffinities {
  const { rows, k, indices, distances } = knn;
  const target = Math.log(perplexity);
  const conditional = new Float64Array(rows * k);
  const squared = new Float64Array(k);
  for (let i = 0; i < rows; i++) {
    const base = i * k;
    let minD = Infinity;
    for (let j = 0; j < k; j++) {
      const d = distances[base + j] as number;
      squared[j] = d * d;
      if ((squared[j] as number) < minD) minD = squared[j] as number;
    }
    let beta = 1;
    let lo = -Infinity;
    let hi = Infinity;
    for (let iter = 0; iter < 200; iter++) {
      let sum = 0;
      let weighted = 0;
      for (let j = 0; j < k; j++) {
        // Shifting by the nearest distance keeps exp() from underflowing to all zeros.
        const w = Math.exp(-beta * ((squared[j] as number) - minD));
        conditional[base + j] = w;
        sum += w;
        weighted += w * ((squared[j] as number) - minD);
      }
      const entropy = Math.log(sum) + (beta * weighted) / sum;
      for (let j = 0; j < k; j++) (conditional[base + j] as number) /= sum;
      const gap = entropy - target;
      if (Math.abs(gap) < 1e-5) break;
      if (gap > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
  }

  // Symmetrise: gather both directions of every edge per row.
  const degree = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < k; j++) {
      const other = indices[i * k + j] as number;
      if (other < 0 || other === i) continue;
      degree[i] = (degree[i] as number) + 1;
      degree[other] = (degree[other] as number) + 1;
    }
  }
  const offsets = new Int32Array(rows + 1);
  for (let i = 0; i < rows; i++) offsets[i + 1] = (offsets[i] as number) + (degree[i] as number);
  const rawColumns = new Int32Array(offsets[rows] as number);
  const rawValues = new Float64Array(offsets[rows] as number);
  const fill = offsets.slice(0, rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < k; j++) {
      const other = indices[i * k + j] as number;
      if (other < 0 || other === i) continue;
      const p = (conditional[i * k + j] as number) / (2 * rows);
      rawColumns[fill[i] as number] = other;
      rawValues[(fill[i] as number)++] = p;
      rawColumns[fill[other] as number] = i;
      rawValues[(fill[other] as number)++] = p;
    }
  }
  // Merge duplicate columns within each row (an edge present in both directions).
  const outOffsets = new Int32Array(rows + 1);
  const columns: number[] = [];
  const values: number[] = [];
  const seen = new Map<number, number>();
  for (let i = 0; i < rows; i++) {
    seen.clear();
    for (let e = offsets[i] as number; e < (offsets[i + 1] as number); e++) {
      const c = rawColumns[e] as number;
      const at = seen.get(c);
      if (at === undefined) {
        seen.set(c, columns.length);
        columns.push(c);
        values.push(rawValues[e] as number);
      } else {
        values[at] = (values[at] as number) + (rawValues[e] as number);
      }
    }
    outOffsets[i + 1] = columns.length;
  }
  let total = 0;
  for (const v of values) total += v;
  return {
    rows,
    offsets: outOffsets,
    columns: Int32Array.from(columns),
    values: Float64Array.from(values, (v) => v / total),
  };
}
