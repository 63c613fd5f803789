import type { ProgressCallback } from '../progress.ts';

/** Row-major vectors: `rows × dims` numbers in one flat array, row `i` at `[i * dims, (i + 1) * dims)`. */
export interface Vectors {
  data: Float32Array;
  rows: number;
  dims: number;
}

export type ProjectionMethod = 'pca' | 'umap' | 'tsne';
export type ProjectionDims = 2 | 3;

export interface LongRunOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** Progress of one phase of a longer job (a range given by `ProgressReporter.sub`). */
export type PhaseReport = (done: number, total: number, message?: string) => void;

/** Checks the flat array matches its declared shape. */
export function assertVectors(vectors: Vectors): void {
  const { data, rows, dims } = vectors;
  if (!Number.isInteger(rows) || rows < 1) throw new Error(`rows must be a positive integer`);
  if (!Number.isInteger(dims) || dims < 1) throw new Error(`dims must be a positive integer`);
  if (data.length !== rows * dims) {
    throw new Error(`expected ${rows} × ${dims} = ${rows * dims} values, got ${data.length}`);
  }
}
