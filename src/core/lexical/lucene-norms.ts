/**
 * Lucene (8 and later, so Elasticsearch 7+) stores each document's field length in one byte,
 * `SmallFloat.intToByte4`: exact below 24, then 4 significant bits. BM25 scores with the decoded
 * length, so a faithful reproduction of Elasticsearch's scores must round lengths the same way.
 */
const MAX_INT4 = longToInt4(2 ** 31 - 1);
const NUM_FREE_VALUES = 255 - MAX_INT4;

function longToInt4(value: number): number {
  // Lengths are counts of terms in a Uint32Array, so 32 bits always hold them.
  const bits = 32 - Math.clz32(value);
  if (bits < 4) return value;
  const shift = bits - 4;
  // Keeps the 4 most significant bits; the leading one is implicit, the shift goes above it.
  return ((value >>> shift) & 0x07) | ((shift + 1) << 3);
}

function int4ToLong(encoded: number): number {
  const bits = encoded & 0x07;
  const shift = (encoded >>> 3) - 1;
  return shift === -1 ? bits : (bits | 0x08) * 2 ** shift;
}

/** A field length as Lucene's one-byte norm (0–255). */
export function encodeLuceneLength(length: number): number {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) {
    throw new RangeError(`A field length must be a whole number in [0, 2³²), got ${length}.`);
  }
  return length < NUM_FREE_VALUES ? length : NUM_FREE_VALUES + longToInt4(length - NUM_FREE_VALUES);
}

/** The length BM25 sees for a one-byte norm. */
export function decodeLuceneLength(norm: number): number {
  return norm < NUM_FREE_VALUES ? norm : NUM_FREE_VALUES + int4ToLong(norm - NUM_FREE_VALUES);
}

/** What Lucene's BM25 uses in place of an exact field length. */
export function luceneLength(length: number): number {
  return decodeLuceneLength(encodeLuceneLength(length));
}
