/**
 * Plain float64 JavaScript versions of the sentence-transformers losses, written from their
 * PyTorch definitions independently of the TF.js code, and central finite differences.
 */
export type Matrix = number[][];

export function normalize(v: readonly number[]): number[] {
  const n = Math.max(Math.sqrt(v.reduce((s, x) => s + x * x, 0)), 1e-12);
  return v.map((x) => x / n);
}

export function cos(a: readonly number[], b: readonly number[]): number {
  const x = normalize(a);
  const y = normalize(b);
  return x.reduce((s, xi, i) => s + xi * (y[i] as number), 0);
}

function logSumExp(values: readonly number[]): number {
  const max = Math.max(...values);
  return max + Math.log(values.reduce((s, v) => s + Math.exp(v - max), 0));
}

export function refMnrl(anchors: Matrix, positives: Matrix, negatives: Matrix[], scale: number) {
  const candidates = [...positives, ...negatives.flat()];
  let total = 0;
  anchors.forEach((a, i) => {
    const logits = candidates.map((c) => scale * cos(a, c));
    total += logSumExp(logits) - (logits[i] as number);
  });
  return total / anchors.length;
}

export function refSymmetricMnrl(
  anchors: Matrix,
  positives: Matrix,
  negatives: Matrix[],
  scale: number,
) {
  const forward = refMnrl(anchors, positives, negatives, scale);
  let backward = 0;
  positives.forEach((p, j) => {
    const logits = anchors.map((a) => scale * cos(a, p));
    backward += logSumExp(logits) - (logits[j] as number);
  });
  return (forward + backward / positives.length) / 2;
}

export function refDistance(
  a: readonly number[],
  b: readonly number[],
  metric: 'cosine' | 'euclidean' | 'manhattan',
) {
  if (metric === 'cosine') return 1 - cos(a, b);
  const d = a.map((x, i) => x - (b[i] as number) + 1e-6);
  if (metric === 'manhattan') return d.reduce((s, x) => s + Math.abs(x), 0);
  return Math.sqrt(d.reduce((s, x) => s + x * x, 0));
}

export function refContrastive(
  a: Matrix,
  b: Matrix,
  labels: number[],
  margin: number,
  metric: 'cosine' | 'euclidean' | 'manhattan',
  sizeAverage: boolean,
) {
  let total = 0;
  a.forEach((x, i) => {
    const d = refDistance(x, b[i] as number[], metric);
    const y = labels[i] as number;
    total += 0.5 * (y * d * d + (1 - y) * Math.max(0, margin - d) ** 2);
  });
  return sizeAverage ? total / a.length : total;
}

/** OnlineContrastiveLoss.forward, line by line, on plain arrays. */
export function refOnlineContrastive(a: Matrix, b: Matrix, labels: number[], margin: number) {
  const d = a.map((x, i) => 1 - cos(x, b[i] as number[]));
  const negs = d.filter((_, i) => labels[i] === 0);
  const poss = d.filter((_, i) => labels[i] === 1);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const negThreshold = poss.length > 1 ? Math.max(...poss) : mean(negs);
  const posThreshold = negs.length > 1 ? Math.min(...negs) : mean(poss);
  const negativePairs = negs.filter((x) => x < negThreshold);
  const positivePairs = poss.filter((x) => x > posThreshold);
  const loss =
    positivePairs.reduce((s, x) => s + x * x, 0) +
    negativePairs.reduce((s, x) => s + Math.max(0, margin - x) ** 2, 0);
  return { loss, hardPositives: positivePairs.length, hardNegatives: negativePairs.length };
}

export function refCosineLoss(a: Matrix, b: Matrix, scores: number[]) {
  return (
    a.reduce((s, x, i) => s + (cos(x, b[i] as number[]) - (scores[i] as number)) ** 2, 0) / a.length
  );
}

/** ∂f/∂m[r][c] for every matrix of `inputs` by central differences (step h). */
export function finiteDifferences(
  f: (inputs: Matrix[]) => number,
  inputs: Matrix[],
  h = 1e-5,
): Matrix[] {
  return inputs.map((matrix, m) =>
    matrix.map((row, r) =>
      row.map((_, c) => {
        const shifted = (delta: number) =>
          f(
            inputs.map((other, k) =>
              k !== m
                ? other
                : other.map((rr, i) => rr.map((v, j) => (i === r && j === c ? v + delta : v))),
            ),
          );
        return (shifted(h) - shifted(-h)) / (2 * h);
      }),
    ),
  );
}

/** Deterministic pseudo-random matrix (a small LCG; only needs to be fixed, not good). */
export function fixedMatrix(rows: number, cols: number, seed: number): Matrix {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32 - 0.5;
  };
  return Array.from({ length: rows }, () => Array.from({ length: cols }, next));
}

/** max |x − y| over the max |y|: a relative error over the whole gradient. */
export function relativeError(actual: Matrix, expected: Matrix): number {
  let diff = 0;
  let scale = 0;
  expected.forEach((row, r) =>
    row.forEach((e, c) => {
      diff = Math.max(diff, Math.abs((actual[r]?.[c] as number) - e));
      scale = Math.max(scale, Math.abs(e));
    }),
  );
  return diff / Math.max(scale, 1e-12);
}
