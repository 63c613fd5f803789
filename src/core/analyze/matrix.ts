import { throwIfAborted, yieldToEventLoop } from '../abort.ts';

/** Row-major embeddings: row i is `vectors[i * dims … (i + 1) * dims)`. */
export interface EmbeddingMatrix {
  readonly vectors: Float32Array;
  readonly dims: number;
}

/** Embeddings with one id per row (`ids.length` rows). */
export interface LabelledEmbeddings extends EmbeddingMatrix {
  readonly ids: readonly string[];
}

/** The number of rows, after checking that the buffer holds whole rows of finite values. */
export function rowCount({ vectors, dims }: EmbeddingMatrix): number {
  if (!Number.isInteger(dims) || dims < 1) {
    throw new RangeError(`dims must be a positive integer, got ${dims}.`);
  }
  if (vectors.length % dims !== 0) {
    throw new RangeError(`${vectors.length} values are not a whole number of ${dims}-dim rows.`);
  }
  for (let i = 0; i < vectors.length; i++) {
    if (!Number.isFinite(vectors[i] as number)) {
      throw new RangeError(`Row ${Math.floor(i / dims)} has a NaN or infinite value.`);
    }
  }
  return vectors.length / dims;
}

export function labelledRowCount(matrix: LabelledEmbeddings): number {
  const n = rowCount(matrix);
  if (matrix.ids.length !== n) {
    throw new RangeError(`${n} embedding rows but ${matrix.ids.length} ids.`);
  }
  return n;
}

/** Squared norm of each row, accumulated in double precision. */
export function rowSquaredNorms(vectors: Float32Array, n: number, dims: number): Float64Array {
  const out = new Float64Array(n);
  for (let row = 0, offset = 0; row < n; row++, offset += dims) {
    let sum = 0;
    for (let j = offset; j < offset + dims; j++) {
      const v = vectors[j] as number;
      sum += v * v;
    }
    out[row] = sum;
  }
  return out;
}

/**
 * Long loops here are synchronous number crunching. A checkpoint every block checks the signal,
 * and at most every `everyMs` it reports progress and, when there is a signal to listen to, gives
 * the event loop a turn so an abort message can arrive. Yielding costs about a millisecond (4 ms
 * under browser timer clamping), so it is rationed by time rather than done per block.
 */
export class Pacer {
  private last = performance.now();

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly everyMs = 50,
  ) {}

  async checkpoint(report?: () => void): Promise<void> {
    throwIfAborted(this.signal);
    const now = performance.now();
    if (now - this.last < this.everyMs) return;
    report?.();
    if (this.signal) {
      await yieldToEventLoop();
      throwIfAborted(this.signal);
    }
    this.last = performance.now();
  }
}
