import { convexFusion, reciprocalRankFusion, type RankedItem } from '../lexical/index.ts';

export type SearchMode = 'semantic' | 'lexical' | 'hybrid';
export type FusionMethod = 'rrf' | 'weighted';

export interface FusionSettings {
  method: FusionMethod;
  /** Weighted fusion: the weight of the semantic list (the lexical one gets 1 − alpha). */
  alpha?: number;
  /** RRF smoothing constant. */
  rrfK?: number;
}

/**
 * Candidates each retriever contributes before fusion: enough that a chunk ranked modestly by
 * both can still win, as hybrid search engines do (they fuse a few times k, not k).
 */
export function fusionDepth(k: number): number {
  return Math.max(50, k * 5);
}

/** Fuses a semantic and a lexical ranking (both best first) into one list of `k`. */
export function fuseRankings(
  semantic: readonly RankedItem[],
  lexical: readonly RankedItem[],
  k: number,
  { method, alpha = 0.5, rrfK = 60 }: FusionSettings,
): RankedItem[] {
  if (method === 'rrf') return reciprocalRankFusion([semantic, lexical], { k: rrfK, limit: k });
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}.`);
  return convexFusion(semantic, lexical, alpha, k);
}
