export type Metric = 'cosine' | 'dotproduct' | 'euclidean';

export interface SparseValues {
  indices: number[];
  values: number[];
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

function sparseDot(a: SparseValues | undefined, b: SparseValues | undefined): number {
  if (!a || !b) return 0;
  const weights = new Map<number, number>();
  a.indices.forEach((index, i) => weights.set(index, a.values[i] ?? 0));
  let sum = 0;
  b.indices.forEach((index, i) => (sum += (weights.get(index) ?? 0) * (b.values[i] ?? 0)));
  return sum;
}

/**
 * Pinecone's score for a candidate: cosine similarity, dot product (plus the sparse dot product
 * for hybrid vectors), or the squared Euclidean distance.
 */
export function score(
  metric: Metric,
  query: readonly number[],
  candidate: readonly number[],
  querySparse?: SparseValues,
  candidateSparse?: SparseValues,
): number {
  switch (metric) {
    case 'dotproduct':
      return dot(query, candidate) + sparseDot(querySparse, candidateSparse);
    case 'cosine': {
      const norms = Math.sqrt(dot(query, query) * dot(candidate, candidate));
      return norms === 0 ? 0 : dot(query, candidate) / norms;
    }
    case 'euclidean': {
      let sum = 0;
      for (let i = 0; i < query.length; i++) sum += ((query[i] ?? 0) - (candidate[i] ?? 0)) ** 2;
      return sum;
    }
  }
}

/** Euclidean scores are distances (smaller is closer); the other metrics are similarities. */
export function isBetter(metric: Metric, a: number, b: number): boolean {
  return metric === 'euclidean' ? a < b : a > b;
}
