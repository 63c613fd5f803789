import { describe, expect, it } from 'vitest';
import {
  epochPlan,
  hasRepeatedTexts,
  noDuplicateBatches,
  runLayout,
  type RankingExample,
} from '../../../src/core/finetune/index.ts';
import { SeededRandom } from '../../../src/core/model/seeded-random.ts';
import { epochOrder } from '../../../src/core/train/data/order.ts';

/**
 * sentence-transformers' NoDuplicatesBatchSampler.__iter__ transcribed literally (an ordered dict
 * of remaining indices, rescanned from the start for every batch), as the reference.
 */
function referenceBatches(
  examples: readonly RankingExample[],
  order: ArrayLike<number>,
  batchSize: number,
): number[][] {
  const remaining = Array.from(order);
  const out: number[][] = [];
  while (remaining.length > 0) {
    const values = new Set<string>();
    const batch: number[] = [];
    for (const index of remaining) {
      const e = examples[index] as RankingExample;
      const sample = new Set([e.anchor, e.positive, ...(e.negatives ?? [])]);
      if ([...sample].some((v) => values.has(v))) continue;
      batch.push(index);
      if (batch.length === batchSize) break;
      for (const v of sample) values.add(v);
    }
    out.push(batch);
    for (const index of batch) remaining.splice(remaining.indexOf(index), 1);
  }
  return out;
}

function textsOf(e: RankingExample): string[] {
  return [e.anchor, e.positive, ...(e.negatives ?? [])];
}

/** Q/A pairs where answers (and some questions) repeat, as in FAQ data or BEIR qrels. */
function repetitive(count: number, seed: number): RankingExample[] {
  const random = new SeededRandom(seed, 'dups');
  return Array.from({ length: count }, (_, i) => ({
    anchor: random.nextFloat() < 0.2 ? `q${random.nextUint32() % 5}` : `question ${i}`,
    positive: `answer ${random.nextUint32() % Math.ceil(count / 3)}`,
  }));
}

describe('MNRL batches without duplicate texts', () => {
  it('a hand case: a repeated positive waits for the next batch', () => {
    const examples: RankingExample[] = [
      { anchor: 'a', positive: 'x' },
      { anchor: 'b', positive: 'x' },
      { anchor: 'c', positive: 'y' },
      { anchor: 'd', positive: 'z' },
      { anchor: 'x', positive: 'w' },
    ];
    // Order 0..4, batches of 2: [0 a-x, 2 c-y] (1 shares x), then [1 b-x, 3 d-z], then [4 x-w].
    expect(noDuplicateBatches(examples, [0, 1, 2, 3, 4], 2)).toEqual([[0, 2], [1, 3], [4]]);
    // A text that is an anchor in one example and a positive in another also counts: 4 (x-w)
    // and 1 (b-x) both clash with 0 (a-x), then with each other.
    expect(noDuplicateBatches(examples, [0, 4, 1, 3], 4)).toEqual([[0, 3], [4], [1]]);
  });

  it('equals a literal transcription of sentence-transformers’ sampler on random data', () => {
    for (let seed = 0; seed < 30; seed++) {
      const examples = repetitive(40 + seed, seed);
      const order = epochOrder(examples.length, seed, 0);
      const batchSize = 2 + (seed % 7);
      const batches = noDuplicateBatches(examples, order, batchSize);
      expect(batches).toEqual(referenceBatches(examples, order, batchSize));
      // Every example once; no batch holds a text twice; no batch is over-full.
      expect(batches.flat().sort((a, b) => a - b)).toEqual(examples.map((_, i) => i));
      for (const batch of batches) {
        expect(batch.length).toBeLessThanOrEqual(batchSize);
        const texts = batch.flatMap((i) => [...new Set(textsOf(examples[i] as RankingExample))]);
        expect(new Set(texts).size).toBe(texts.length);
      }
    }
  });

  it('epochPlan: seeded, contiguous slices when no text repeats, no-duplicate batches for MNRL', () => {
    const unique = Array.from({ length: 10 }, (_, i) => ({ anchor: `a${i}`, positive: `p${i}` }));
    expect(hasRepeatedTexts(unique)).toBe(false);
    const plain = epochPlan('mnrl', unique, 4, 5);
    expect(plain.microBatches(0)).toBe(3);
    const order = Array.from(epochOrder(10, 5, 1));
    expect([0, 1, 2].map((m) => plain.batch(1, m))).toEqual([
      order.slice(0, 4),
      order.slice(4, 8),
      order.slice(8),
    ]);

    const examples = repetitive(60, 3);
    expect(hasRepeatedTexts(examples)).toBe(true);
    const plan = epochPlan('mnrl', examples, 8, 11);
    for (const epoch of [0, 1]) {
      const expected = referenceBatches(examples, epochOrder(60, 11, epoch), 8);
      expect(plan.microBatches(epoch)).toBe(expected.length);
      expect(expected.map((_, m) => plan.batch(epoch, m))).toEqual(expected);
    }
    expect(plan.microBatches(0)).toBeGreaterThan(Math.ceil(60 / 8));
    // Same seed, same batches; another seed, others.
    expect(epochPlan('mnrl', examples, 8, 11).batch(1, 0)).toEqual(plan.batch(1, 0));
    expect(epochPlan('mnrl', examples, 8, 12).batch(1, 0)).not.toEqual(plan.batch(1, 0));
    // Pair losses keep plain slices: their examples are not in-batch negatives of each other.
    const pairs = examples.map((e) => ({ text1: e.anchor, text2: e.positive, label: 1 }));
    expect(epochPlan('cosine', pairs, 8, 11).microBatches(0)).toBe(Math.ceil(60 / 8));
  });

  it('runLayout: steps per epoch from each epoch’s batch count, accumulation and max_steps', () => {
    const counts = [5, 7, 6];
    const plan = { microBatches: (e: number) => counts[e] as number, batch: () => [] };
    const layout = runLayout(plan, 3, 2, null);
    expect(layout.epochSteps).toEqual([3, 4, 3]);
    expect(layout.totalSteps).toBe(10);
    expect(layout.locate(0)).toEqual({ epoch: 0, inEpoch: 0 });
    expect(layout.locate(3)).toEqual({ epoch: 1, inEpoch: 0 });
    expect(layout.locate(6)).toEqual({ epoch: 1, inEpoch: 3 });
    expect(layout.locate(9)).toEqual({ epoch: 2, inEpoch: 2 });
    expect(layout.epochsDone(3)).toBe(1);
    expect(layout.epochsDone(5)).toBe(1.5);
    expect(layout.epochsDone(10)).toBe(3);
    expect(runLayout(plan, 3, 2, 4).totalSteps).toBe(4);
  });
});
