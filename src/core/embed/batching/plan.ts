import { bucketFor, DEFAULT_BUCKETS, normalizeBuckets } from './buckets.ts';

export interface BatchItem {
  readonly id: string;
  /** Sequence length the runtime will see for this item, special tokens included. */
  readonly tokens: number;
}

export interface Batch {
  readonly ids: readonly string[];
  /** Positions of the items in the list given to `planBatches`, so results can go back in order. */
  readonly indices: readonly number[];
  readonly tokens: readonly number[];
  /** Longest item rounded up to a bucket: the sequence length the batch is padded to. */
  readonly paddedLength: number;
  /** Padded tokens: `ids.length * paddedLength`. */
  readonly cost: number;
  /** A lone item whose padded length alone is over the budget; it runs on its own anyway. */
  readonly oversized: boolean;
}

/**
 * `longest-first` (the default) runs the most memory-hungry batches first: at a fixed token
 * budget the attention scores grow with the sequence length, so an out-of-memory error shows
 * up early and the adaptive budget is learned before most of the work is done.
 */
export type BatchOrder = 'longest-first' | 'shortest-first';

export interface BatchPlanOptions {
  /** Most padded tokens (`batch size * padded length`) one batch may cost. */
  tokenBudget: number;
  maxBatchSize?: number;
  /** Padded lengths allowed; see `bucketsUpTo` to cap them at the model's max tokens. */
  buckets?: readonly number[];
  order?: BatchOrder;
}

/**
 * Packs items into batches under a padded-token budget. Items are sorted by length (ties keep
 * input order) and a batch never mixes buckets, so no item is padded past its own bucket and
 * the runtime sees at most `buckets.length` sequence lengths.
 */
export function planBatches(items: readonly BatchItem[], options: BatchPlanOptions): Batch[] {
  const { tokenBudget, maxBatchSize = Number.POSITIVE_INFINITY, order = 'longest-first' } = options;
  validateBudget(tokenBudget);
  if (!(maxBatchSize >= 1) || (Number.isFinite(maxBatchSize) && !Number.isInteger(maxBatchSize))) {
    throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}.`);
  }
  const buckets = normalizeBuckets(options.buckets ?? DEFAULT_BUCKETS);
  const bucketOf = items.map((item, index) => {
    if (!Number.isInteger(item.tokens) || item.tokens < 0) {
      throw new RangeError(`Item ${item.id} has an invalid token count ${item.tokens}.`);
    }
    const bucket = bucketFor(item.tokens, buckets);
    if (bucket === undefined) {
      throw new RangeError(
        `Item ${item.id} (#${index}) has ${item.tokens} tokens, more than the largest bucket ` +
          `(${buckets.at(-1)}); truncate it to the model's max tokens or add a larger bucket.`,
      );
    }
    return bucket;
  });

  const sign = order === 'longest-first' ? -1 : 1;
  // Array.prototype.sort is stable, so equal lengths keep their input order.
  const sorted = items
    .map((_, index) => index)
    .sort((a, b) => sign * (tokensAt(items, a) - tokensAt(items, b)));

  const batches: Batch[] = [];
  let start = 0;
  while (start < sorted.length) {
    const bucket = bucketAt(bucketOf, sorted, start);
    let end = start;
    while (end < sorted.length && bucketAt(bucketOf, sorted, end) === bucket) end += 1;
    const group = sorted.slice(start, end);
    const capacity = Math.min(maxBatchSize, Math.floor(tokenBudget / bucket));
    for (const part of chunksOf(group, Math.max(1, capacity))) {
      batches.push(makeBatch(items, part, bucket, tokenBudget));
    }
    start = end;
  }
  return batches;
}

/**
 * Re-plans one batch under a smaller budget, keeping its padded length (all its items already
 * fit that bucket). Sub-batches are filled to the budget so the next attempt actually probes it.
 */
export function splitBatch(batch: Batch, tokenBudget: number): Batch[] {
  validateBudget(tokenBudget);
  const capacity = Math.max(1, Math.floor(tokenBudget / batch.paddedLength));
  const positions = batch.ids.map((_, i) => i);
  return chunksOf(positions, capacity).map((part) => {
    const cost = part.length * batch.paddedLength;
    return {
      ids: part.map((i) => at(batch.ids, i)),
      indices: part.map((i) => at(batch.indices, i)),
      tokens: part.map((i) => at(batch.tokens, i)),
      paddedLength: batch.paddedLength,
      cost,
      oversized: cost > tokenBudget,
    };
  });
}

export interface PlanSummary {
  batches: number;
  items: number;
  /** Tokens actually in the items. */
  realTokens: number;
  /** Tokens the runtime computes on, padding included. */
  paddedTokens: number;
  /** Distinct padded lengths, ascending. */
  shapes: number[];
  /** Items that alone exceed the budget (each ran as its own batch). */
  oversizedIds: string[];
}

export function summarizePlan(batches: readonly Batch[]): PlanSummary {
  const shapes = new Set<number>();
  const summary: PlanSummary = {
    batches: batches.length,
    items: 0,
    realTokens: 0,
    paddedTokens: 0,
    shapes: [],
    oversizedIds: [],
  };
  for (const batch of batches) {
    summary.items += batch.ids.length;
    summary.realTokens += batch.tokens.reduce((sum, t) => sum + t, 0);
    summary.paddedTokens += batch.cost;
    shapes.add(batch.paddedLength);
    if (batch.oversized) summary.oversizedIds.push(...batch.ids);
  }
  summary.shapes = [...shapes].sort((a, b) => a - b);
  return summary;
}

function validateBudget(tokenBudget: number): void {
  if (!Number.isFinite(tokenBudget) || tokenBudget < 1) {
    throw new RangeError(`tokenBudget must be a finite number ≥ 1, got ${tokenBudget}.`);
  }
}

function makeBatch(
  items: readonly BatchItem[],
  indices: number[],
  paddedLength: number,
  tokenBudget: number,
): Batch {
  const cost = indices.length * paddedLength;
  return {
    ids: indices.map((i) => at(items, i).id),
    indices,
    tokens: indices.map((i) => at(items, i).tokens),
    paddedLength,
    cost,
    oversized: cost > tokenBudget,
  };
}

function chunksOf<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

function tokensAt(items: readonly BatchItem[], index: number): number {
  return at(items, index).tokens;
}

function bucketAt(
  bucketOf: readonly number[],
  sorted: readonly number[],
  position: number,
): number {
  return at(bucketOf, at(sorted, position));
}

/** Indexing that the type checker trusts: every index used here comes from the array itself. */
function at<T>(values: readonly T[], index: number): T {
  const value = values[index];
  if (value === undefined) throw new RangeError(`Index ${index} out of range (${values.length}).`);
  return value;
}
