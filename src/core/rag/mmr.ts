export { cosineSimilarity as cosine } from '../search/kernels.ts';

/**
 * Maximal marginal relevance (Carbonell & Goldstein, 1998): picks, one at a time, the candidate
 * maximising `lambda · relevance − (1 − lambda) · max similarity to those already picked`.
 * Relevance and similarity should share a scale (both in [0, 1] works best). Ties keep the
 * earlier candidate. Returns the picked candidate positions in pick order.
 */
export function mmrSelect(
  relevance: readonly number[],
  similarity: (a: number, b: number) => number,
  k: number,
  lambda: number,
): number[] {
  if (!(lambda >= 0 && lambda <= 1))
    throw new RangeError(`lambda must be in [0, 1], got ${lambda}.`);
  if (!Number.isInteger(k) || k < 0)
    throw new RangeError(`k must be a whole number ≥ 0, got ${k}.`);
  const n = relevance.length;
  const picked: number[] = [];
  // Most similar picked candidate so far, per candidate: one similarity per pair, not per round.
  const closest = new Float64Array(n).fill(-Infinity);
  const taken = new Uint8Array(n);
  while (picked.length < Math.min(k, n)) {
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      const penalty = picked.length === 0 ? 0 : (closest[i] as number);
      const score = lambda * (relevance[i] as number) - (1 - lambda) * penalty;
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    taken[best] = 1;
    picked.push(best);
    for (let i = 0; i < n; i++) {
      if (!taken[i]) closest[i] = Math.max(closest[i] as number, similarity(i, best));
    }
  }
  return picked;
}

/** Cosine similarity of two vectors of equal length (0 when either is all zeros). */

/** Jaccard overlap of two term sets: the similarity MMR falls back to when there are no vectors. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let shared = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const term of small) if (large.has(term)) shared++;
  return shared / (a.size + b.size - shared);
}
