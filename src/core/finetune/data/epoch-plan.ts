import { epochOrder } from '../../train/data/order.ts';
import type { LossName } from '../losses/encoder-loss.ts';
import type { PairExample, RankingExample } from './types.ts';

/** The texts of a ranking example, as sentence-transformers' sampler compares them. */
function textsOf(example: RankingExample): string[] {
  return [example.anchor, example.positive, ...(example.negatives ?? [])];
}

/**
 * sentence-transformers' NoDuplicatesBatchSampler over one epoch's shuffled order: each batch
 * takes, in order, the next examples none of whose texts the batch already holds; skipped ones
 * stay first in line for the next batches. A repeated text would otherwise sit in a batch both as
 * an example's positive and as an in-batch "negative" of another example with the same text, and
 * MNRL would push apart two identical sentences. Epochs can so have more (smaller) batches than
 * ceil(n / batch); the last batch can be short, as with drop_last=False.
 */
export function noDuplicateBatches(
  examples: readonly RankingExample[],
  order: ArrayLike<number>,
  batchSize: number,
): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be a positive integer, not ${batchSize}`);
  }
  const batches: number[][] = [];
  // The examples still to place, in order: `pending` (skipped earlier) then order[cursor…].
  let pending: number[] = [];
  let cursor = 0;
  while (pending.length > 0 || cursor < order.length) {
    const batch: number[] = [];
    const seen = new Set<string>();
    const skipped: number[] = [];
    const consider = (index: number): boolean => {
      const texts = textsOf(examples[index] as RankingExample);
      if (texts.some((text) => seen.has(text))) skipped.push(index);
      else {
        batch.push(index);
        for (const text of texts) seen.add(text);
      }
      return batch.length === batchSize;
    };
    let full = false;
    let p = 0;
    while (!full && p < pending.length) full = consider(pending[p++] as number);
    if (full) {
      pending = [...skipped, ...pending.slice(p)];
    } else {
      while (!full && cursor < order.length) full = consider(order[cursor++] as number);
      pending = skipped;
    }
    batches.push(batch);
  }
  return batches;
}

/** Whether any text occurs in two ranking examples (only then can a batch hold a duplicate). */
export function hasRepeatedTexts(examples: readonly RankingExample[]): boolean {
  const seen = new Set<string>();
  for (const example of examples) {
    const own = new Set(textsOf(example));
    for (const text of own) {
      if (seen.has(text)) return true;
    }
    for (const text of own) seen.add(text);
  }
  return false;
}

/** How one run walks its data: each epoch's micro-batches, as indices into the examples. */
export interface EpochPlan {
  /** Micro-batches of every epoch (the same count each epoch unless batches skip duplicates). */
  microBatches(epoch: number): number;
  batch(epoch: number, micro: number): number[];
}

/**
 * The run's batches: contiguous slices of each epoch's seeded shuffle, or, for MNRL on data with
 * repeated texts, the no-duplicates batches of that shuffle. Both depend only on (seed, epoch), so
 * a resumed run sees the same batches.
 */
export function epochPlan(
  loss: LossName,
  examples: readonly RankingExample[] | readonly PairExample[],
  batchSize: number,
  seed: number,
): EpochPlan {
  let cached: { epoch: number; order: Int32Array; batches: number[][] | null } | null = null;
  const skipDuplicates = loss === 'mnrl' && hasRepeatedTexts(examples as readonly RankingExample[]);
  const of = (epoch: number) => {
    if (cached?.epoch !== epoch) {
      const order = epochOrder(examples.length, seed, epoch);
      const batches = skipDuplicates
        ? noDuplicateBatches(examples as readonly RankingExample[], order, batchSize)
        : null;
      cached = { epoch, order, batches };
    }
    return cached;
  };
  const sliceCount = Math.ceil(examples.length / batchSize);
  return {
    microBatches: (epoch) => (skipDuplicates ? (of(epoch).batches?.length ?? 0) : sliceCount),
    batch: (epoch, micro) => {
      const { order, batches } = of(epoch);
      if (batches) return batches[micro] ?? [];
      return Array.from(order.subarray(micro * batchSize, (micro + 1) * batchSize));
    },
  };
}

/** Optimizer steps per epoch and where each step falls, from the plan's micro-batch counts. */
export interface RunLayout {
  /** Optimizer steps of each epoch (micro-batches over the accumulation count, rounded up). */
  epochSteps: readonly number[];
  totalSteps: number;
  /** The epoch a step (0-based, about to run) belongs to and its place in it. */
  locate(step: number): { epoch: number; inEpoch: number };
  /** Epochs done after `steps` steps, fractional inside an epoch. */
  epochsDone(steps: number): number;
}

export function runLayout(
  plan: EpochPlan,
  epochs: number,
  accumulation: number,
  maxSteps: number | null,
): RunLayout {
  const epochSteps = Array.from({ length: epochs }, (_, epoch) =>
    Math.ceil(plan.microBatches(epoch) / accumulation),
  );
  const starts: number[] = [];
  let all = 0;
  for (const steps of epochSteps) {
    starts.push(all);
    all += steps;
  }
  const locate = (step: number) => {
    let epoch = 0;
    while (epoch + 1 < starts.length && (starts[epoch + 1] as number) <= step) epoch++;
    return { epoch, inEpoch: step - (starts[epoch] as number) };
  };
  return {
    epochSteps,
    totalSteps: maxSteps === null ? all : Math.min(all, maxSteps),
    locate,
    epochsDone: (steps) => {
      if (steps >= all) return epochs;
      const { epoch, inEpoch } = locate(steps);
      return epoch + inEpoch / (epochSteps[epoch] as number);
    },
  };
}
