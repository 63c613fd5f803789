import type { Pooling } from './types.ts';

/** Token vectors of a padded batch: [batch, seq, hidden] row-major, with its attention mask. */
export interface TokenStates {
  batch: number;
  seq: number;
  hidden: number;
  data: Float32Array;
  /** [batch, seq]; 1 for real tokens, 0 for padding. */
  attentionMask: Int32Array;
}

/**
 * One vector per text from its token vectors. Positions come from the attention mask, not from
 * assumptions about the padding side: `cls` takes the first real token, `last-token` the last.
 */
export function poolTokens(states: TokenStates, pooling: Pooling): Float32Array {
  const { batch, seq, hidden, data, attentionMask } = states;
  if (data.length !== batch * seq * hidden) {
    throw new Error(`Hidden states hold ${data.length} values, expected ${batch}×${seq}×${hidden}`);
  }
  if (attentionMask.length !== batch * seq) {
    throw new Error(
      `Attention mask holds ${attentionMask.length} values, expected ${batch}×${seq}`,
    );
  }
  const out = new Float32Array(batch * hidden);
  const sum = new Float64Array(hidden);
  for (let b = 0; b < batch; b++) {
    const positions = realPositions(attentionMask, b, seq);
    if (positions.length === 0) continue;
    const target = out.subarray(b * hidden, (b + 1) * hidden);
    if (pooling === 'mean') {
      sum.fill(0);
      for (const s of positions) {
        const row = (b * seq + s) * hidden;
        for (let j = 0; j < hidden; j++) sum[j] = (sum[j] ?? 0) + (data[row + j] ?? 0);
      }
      for (let j = 0; j < hidden; j++) target[j] = (sum[j] ?? 0) / positions.length;
    } else {
      const s = pooling === 'cls' ? positions[0] : positions[positions.length - 1];
      const row = (b * seq + (s ?? 0)) * hidden;
      target.set(data.subarray(row, row + hidden));
    }
  }
  return out;
}

function realPositions(mask: Int32Array, b: number, seq: number): number[] {
  const positions: number[] = [];
  for (let s = 0; s < seq; s++) if (mask[b * seq + s]) positions.push(s);
  return positions;
}

/**
 * Matryoshka truncation: the first `dims` values of each `width`-long row. Normalise after
 * this, never before: a truncated unit vector is no longer a unit vector.
 */
export function truncateRows(vectors: Float32Array, width: number, dims: number): Float32Array {
  if (!Number.isInteger(dims) || dims < 1 || dims > width) {
    throw new Error(`Matryoshka dims must be an integer from 1 to ${width}, got ${dims}`);
  }
  if (dims === width) return vectors;
  const rows = vectors.length / width;
  const out = new Float32Array(rows * dims);
  for (let r = 0; r < rows; r++) out.set(vectors.subarray(r * width, r * width + dims), r * dims);
  return out;
}

/** Scales each row to unit L2 norm in place; an all-zero row stays zero. */
export function normalizeRows(vectors: Float32Array, width: number): Float32Array {
  for (let start = 0; start < vectors.length; start += width) {
    let norm = 0;
    for (let j = start; j < start + width; j++) norm += (vectors[j] ?? 0) ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    for (let j = start; j < start + width; j++) vectors[j] = (vectors[j] ?? 0) / norm;
  }
  return vectors;
}
