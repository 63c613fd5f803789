/** One entry of a ranked list, best first. */
export interface RankedItem {
  id: string;
  score: number;
}

export interface RrfOptions {
  /** Smoothing constant of RRF; 60 as in Cormack et al. (2009). */
  k?: number;
  /** Weight per list (default 1 each). */
  weights?: readonly number[];
  /** Keep only this many fused items (default all). */
  limit?: number;
}

/**
 * Reciprocal rank fusion: each list adds `weight / (k + rank)` (rank from 1) for every id it
 * holds. Lists must be best first; an id listed twice in one list counts at its best rank.
 * Ties in the fused score keep the id met first (lists in order, then rank).
 */
export function reciprocalRankFusion(
  lists: readonly (readonly RankedItem[])[],
  { k = 60, weights, limit }: RrfOptions = {},
): RankedItem[] {
  if (!Number.isFinite(k) || k < 0) throw new RangeError(`k must be ≥ 0, got ${k}.`);
  checkWeights(lists, weights);
  const fused = new Map<string, number>();
  lists.forEach((list, l) => {
    const weight = weights?.[l] ?? 1;
    const seen = new Set<string>();
    list.forEach((item, index) => {
      if (seen.has(item.id)) return;
      seen.add(item.id);
      fused.set(item.id, (fused.get(item.id) ?? 0) + weight / (k + index + 1));
    });
  });
  return ranked(fused, limit);
}

export interface WeightedFusionOptions {
  /** Weight per list (default 1 each); the fused score is the weighted sum of normalised scores. */
  weights?: readonly number[];
  limit?: number;
}

/**
 * Weighted score fusion: each list's scores are min-max normalised to [0, 1] (a list whose scores
 * are all equal maps them to 1), and an id missing from a list gets 0 from it.
 */
export function weightedScoreFusion(
  lists: readonly (readonly RankedItem[])[],
  { weights, limit }: WeightedFusionOptions = {},
): RankedItem[] {
  checkWeights(lists, weights);
  const fused = new Map<string, number>();
  lists.forEach((list, l) => {
    const weight = weights?.[l] ?? 1;
    for (const [id, score] of minMaxNormalize(list)) {
      fused.set(id, (fused.get(id) ?? 0) + weight * score);
    }
  });
  return ranked(fused, limit);
}

/** Two lists fused as `alpha · first + (1 − alpha) · second` after min-max normalisation. */
export function convexFusion(
  first: readonly RankedItem[],
  second: readonly RankedItem[],
  alpha = 0.5,
  limit?: number,
): RankedItem[] {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}.`);
  return weightedScoreFusion([first, second], {
    weights: [alpha, 1 - alpha],
    ...(limit === undefined ? {} : { limit }),
  });
}

/** Scores mapped to [0, 1]; an id listed twice keeps its best score. */
export function minMaxNormalize(list: readonly RankedItem[]): Map<string, number> {
  let min = Infinity;
  let max = -Infinity;
  for (const { score } of list) {
    if (!Number.isFinite(score)) throw new RangeError(`A fused list holds the score ${score}.`);
    min = Math.min(min, score);
    max = Math.max(max, score);
  }
  const span = max - min;
  const out = new Map<string, number>();
  for (const { id, score } of list) {
    const normalized = span > 0 ? (score - min) / span : 1;
    out.set(id, Math.max(out.get(id) ?? -Infinity, normalized));
  }
  return out;
}

function checkWeights(
  lists: readonly (readonly RankedItem[])[],
  weights: readonly number[] | undefined,
): void {
  if (weights === undefined) return;
  if (weights.length !== lists.length) {
    throw new RangeError(`Got ${weights.length} weights for ${lists.length} lists.`);
  }
  if (weights.some((w) => !Number.isFinite(w) || w < 0)) {
    throw new RangeError('Fusion weights must be finite and ≥ 0.');
  }
}

/** Map insertion order is first appearance, and the sort is stable, so ties keep that order. */
function ranked(fused: Map<string, number>, limit: number | undefined): RankedItem[] {
  const items = [...fused].map(([id, score]) => ({ id, score }));
  items.sort((a, b) => b.score - a.score);
  return limit === undefined ? items : items.slice(0, Math.max(0, limit));
}
