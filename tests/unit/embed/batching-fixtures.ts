import type { BatchItem } from '../../../src/core/embed/batching/index.ts';
import { mulberry32 } from '../../../src/core/prepare/index.ts';

/** Seeded, so corpora are the same on every run: the split's PRNG. */
export const seededRandom = mulberry32;

/**
 * Shaped like the benchmark corpus (STS-B sentences mixed with SciFact abstracts):
 * mostly short sentences, some long abstracts, in shuffled order.
 */
export function lengthSkewedCorpus(size: number, seed: number): BatchItem[] {
  const random = seededRandom(seed);
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  return Array.from({ length: size }, (_, i) => ({
    id: `doc${i}#0`,
    tokens: random() < 0.85 ? between(8, 40) : between(150, 512),
  }));
}

/** What `pipeline('feature-extraction')` on fixed batches computes on: pad to the longest. */
export function naiveInputOrderPaddedTokens(
  items: readonly BatchItem[],
  batchSize: number,
): number {
  let total = 0;
  for (let i = 0; i < items.length; i += batchSize) {
    const batch = items.slice(i, i + batchSize);
    total += batch.length * Math.max(...batch.map((item) => item.tokens));
  }
  return total;
}

/** Fisher–Yates with the seeded PRNG: mixes sources the way a real upload order would. */
export function seededShuffle<T>(values: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...values];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const a = out[i];
    const b = out[j];
    if (a === undefined || b === undefined) continue;
    out[i] = b;
    out[j] = a;
  }
  return out;
}
