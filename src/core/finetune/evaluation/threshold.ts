/**
 * Threshold search of sentence-transformers' BinaryClassificationEvaluator. Pairs are sorted by
 * score, most similar first; the candidate thresholds are the midpoints between consecutive
 * scores (so "all pairs on one side" is never a candidate, as there).
 */
function byScoreDescending(
  scores: readonly number[],
  labels: readonly number[],
): [number, number][] {
  if (scores.length !== labels.length) {
    throw new RangeError(`${scores.length} scores for ${labels.length} labels`);
  }
  if (labels.some((label) => label !== 0 && label !== 1)) {
    throw new RangeError('Binary classification needs labels of 0 or 1');
  }
  if (!scores.every(Number.isFinite)) throw new RangeError('Scores must be finite numbers');
  // A stable sort, like Python's sorted(), so tied scores keep the input order.
  return scores
    .map((score, i): [number, number] => [score, labels[i] as number])
    .sort((a, b) => b[0] - a[0]);
}

export interface BestAccuracy {
  accuracy: number;
  /** Pairs scoring above it are predicted similar; −1 when no threshold was ever better than 0. */
  threshold: number;
}

/** find_best_acc_and_threshold with high_score_more_similar. */
export function bestAccuracyThreshold(
  scores: readonly number[],
  labels: readonly number[],
): BestAccuracy {
  const rows = byScoreDescending(scores, labels);
  let positivesSoFar = 0;
  let remainingNegatives = labels.filter((label) => label === 0).length;
  let best: BestAccuracy = { accuracy: 0, threshold: -1 };
  for (let i = 0; i < rows.length - 1; i++) {
    const [score, label] = rows[i] as [number, number];
    if (label === 1) positivesSoFar++;
    else remainingNegatives--;
    const accuracy = (positivesSoFar + remainingNegatives) / labels.length;
    if (accuracy > best.accuracy) {
      best = { accuracy, threshold: (score + (rows[i + 1] as [number, number])[0]) / 2 };
    }
  }
  return best;
}

export interface BestF1 {
  f1: number;
  precision: number;
  recall: number;
  threshold: number;
}

/** find_best_f1_and_threshold with high_score_more_similar. */
export function bestF1Threshold(scores: readonly number[], labels: readonly number[]): BestF1 {
  const rows = byScoreDescending(scores, labels);
  const positives = labels.filter((label) => label === 1).length;
  let extracted = 0;
  let correct = 0;
  let best: BestF1 = { f1: 0, precision: 0, recall: 0, threshold: 0 };
  for (let i = 0; i < rows.length - 1; i++) {
    const [score, label] = rows[i] as [number, number];
    extracted++;
    if (label === 1) correct++;
    if (correct === 0) continue;
    const precision = correct / extracted;
    const recall = correct / positives;
    const f1 = (2 * precision * recall) / (precision + recall);
    if (f1 > best.f1) {
      best = {
        f1,
        precision,
        recall,
        threshold: (score + (rows[i + 1] as [number, number])[0]) / 2,
      };
    }
  }
  return best;
}

/**
 * scikit-learn's average_precision_score (which the evaluator also reports): Σ (Rₙ − Rₙ₋₁)·Pₙ over
 * the distinct score thresholds, tied scores counted together.
 */
export function averagePrecision(scores: readonly number[], labels: readonly number[]): number {
  const rows = byScoreDescending(scores, labels);
  const positives = labels.filter((label) => label === 1).length;
  if (positives === 0) return Number.NaN;
  let truePositives = 0;
  let seen = 0;
  let previousRecall = 0;
  let sum = 0;
  for (let i = 0; i < rows.length; i++) {
    const [score, label] = rows[i] as [number, number];
    seen++;
    if (label === 1) truePositives++;
    const next = rows[i + 1];
    if (next && next[0] === score) continue;
    const recall = truePositives / positives;
    sum += (recall - previousRecall) * (truePositives / seen);
    previousRecall = recall;
  }
  return sum;
}
