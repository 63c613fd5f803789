/**
 * Sequence-length buckets: every batch is padded up to one of these lengths, so the runtime
 * (ONNX Runtime Web, and WebGPU shader/pipeline caches in particular) sees only a handful of
 * input shapes instead of one per distinct longest-chunk length.
 */
export const DEFAULT_BUCKETS: readonly number[] = [16, 32, 64, 128, 256, 512];

/**
 * The default buckets capped at the model's maximum sequence length; `maxTokens` itself becomes
 * the last bucket so the longest chunk the model accepts still has a shape to go in.
 */
export function bucketsUpTo(
  maxTokens: number,
  base: readonly number[] = DEFAULT_BUCKETS,
): number[] {
  if (!Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new RangeError(`maxTokens must be a positive integer, got ${maxTokens}.`);
  }
  const below = base.filter((b) => b < maxTokens);
  return normalizeBuckets([...below, maxTokens]);
}

/** Sorted, de-duplicated buckets; throws on anything that is not a positive integer. */
export function normalizeBuckets(buckets: readonly number[]): number[] {
  if (buckets.length === 0) throw new RangeError('At least one bucket length is needed.');
  for (const b of buckets) {
    if (!Number.isInteger(b) || b < 1) {
      throw new RangeError(`Bucket lengths must be positive integers, got ${b}.`);
    }
  }
  return [...new Set(buckets)].sort((a, b) => a - b);
}

/**
 * The smallest bucket that holds `tokens`, or undefined when even the largest is too short
 * (the caller decides whether that is an error).
 */
export function bucketFor(tokens: number, sortedBuckets: readonly number[]): number | undefined {
  return sortedBuckets.find((b) => b >= tokens);
}
