/**
 * Dot-product kernels over row-major Float32Array blocks. They are the hot loop of exact search,
 * so callers check shapes once up front and the loops read typed arrays without `?? 0` guards:
 * the `as number` casts only tell the compiler that the indexes are in bounds.
 */

/** Dot product of `query` with the row of `vectors` that starts at `offset`, unrolled 4-way. */
export function dotAt(query: Float32Array, vectors: Float32Array, offset: number): number {
  const dims = query.length;
  const tail = dims & 3;
  const end = dims - tail;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  let o = offset;
  for (; i < end; i += 4, o += 4) {
    s0 += (query[i] as number) * (vectors[o] as number);
    s1 += (query[i + 1] as number) * (vectors[o + 1] as number);
    s2 += (query[i + 2] as number) * (vectors[o + 2] as number);
    s3 += (query[i + 3] as number) * (vectors[o + 3] as number);
  }
  for (; i < dims; i++, o++) s0 += (query[i] as number) * (vectors[o] as number);
  return s0 + s1 + (s2 + s3);
}

/** Writes the dot product of `query` with each of the first `count` rows into `out`. */
export function dotRows(
  query: Float32Array,
  vectors: Float32Array,
  count: number,
  out: Float64Array,
): void {
  const dims = query.length;
  for (let row = 0, offset = 0; row < count; row++, offset += dims) {
    out[row] = dotAt(query, vectors, offset);
  }
}

/** Euclidean norm of a vector (accumulated in double precision). */
export function norm(vector: Float32Array): number {
  return Math.sqrt(dotAt(vector, vector, 0));
}

/** Norms within this distance of 1 count as unit: float32 rounding leaves about 1e-7. */
const UNIT_TOLERANCE = 1e-4;

/**
 * The reciprocal norm of each of the first `count` rows, or `null` when every row is already unit
 * length (the common case: embeddings are stored L2-normalised), so cosine can skip the scaling.
 * A zero row gets 0, which scores it 0 instead of NaN.
 */
export function inverseRowNorms(
  vectors: Float32Array,
  count: number,
  dims: number,
): Float64Array | null {
  const inverse = new Float64Array(count);
  let allUnit = true;
  for (let row = 0, offset = 0; row < count; row++, offset += dims) {
    let sum = 0;
    for (let j = offset; j < offset + dims; j++) {
      const v = vectors[j] as number;
      sum += v * v;
    }
    const length = Math.sqrt(sum);
    if (Math.abs(length - 1) > UNIT_TOLERANCE) allUnit = false;
    inverse[row] = length > 0 ? 1 / length : 0;
  }
  return allUnit ? null : inverse;
}

/**
 * Cosine similarity of two vectors, as torch's `cosine_similarity` computes it: the norm
 * product is clamped at 1e-8, so a zero vector scores 0 instead of NaN.
 */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`Vectors of ${a.length} and ${b.length} dims.`);
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    aa += x * x;
    bb += y * y;
  }
  return dot / Math.max(Math.sqrt(aa * bb), 1e-8);
}
