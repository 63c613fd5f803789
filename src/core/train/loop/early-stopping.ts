/** Which way an evaluation score improves, and by how much it must to count. */
export interface EarlyStoppingRule {
  /** Evaluations without a gain that stop the run; 0 never stops. */
  patience: number;
  minDelta: number;
  higherIsBetter: boolean;
}

export type PatienceVerdict = 'improved' | 'waiting' | 'exhausted';

/**
 * Early stopping's bookkeeping for one evaluation: a gain over `best` by more than `minDelta`
 * resets the patience counter (the caller records the new best); otherwise the counter grows,
 * and reaching `patience` stops the run.
 */
export function patienceVerdict(
  state: { patienceCounter: number },
  value: number,
  best: number | null,
  rule: EarlyStoppingRule,
): PatienceVerdict {
  const improved =
    best === null ||
    (rule.higherIsBetter ? value > best + rule.minDelta : value < best - rule.minDelta);
  if (improved) {
    state.patienceCounter = 0;
    return 'improved';
  }
  state.patienceCounter += 1;
  return rule.patience > 0 && state.patienceCounter >= rule.patience ? 'exhausted' : 'waiting';
}
