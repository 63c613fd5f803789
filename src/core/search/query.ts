import { norm } from './kernels.ts';

export type SimilarityMetric = 'cosine' | 'dot';

export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0)
    throw new RangeError(`k must be a whole number ≥ 0, got ${k}.`);
}

/** Refuses NaN/infinite queries; for cosine, returns the query scaled to unit length. */
export function prepareQuery(query: Float32Array, metric: SimilarityMetric): Float32Array {
  for (const value of query) {
    if (!Number.isFinite(value))
      throw new RangeError('The query vector has a NaN or infinite value.');
  }
  if (metric === 'dot') return query;
  const length = norm(query);
  if (length === 0) throw new RangeError('Cosine similarity needs a non-zero query vector.');
  return query.map((value) => value / length);
}

/** Checks that a batch of queries is non-ragged and returns their shared dims (0 when empty). */
export function batchDims(queries: readonly Float32Array[]): number {
  const dims = queries[0]?.length ?? 0;
  if (queries.some((query) => query.length !== dims)) {
    throw new RangeError('All queries of a batch must have the same number of dims.');
  }
  return dims;
}
