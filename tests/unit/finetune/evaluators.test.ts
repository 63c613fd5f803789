import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  averagePrecision,
  bestAccuracyThreshold,
  bestF1Threshold,
  DEFAULT_POOLING,
  embedBatch,
  evaluateBinaryClassification,
  evaluateRetrieval,
  evaluateSimilarity,
  retrievalSetFromPairs,
  tokenizeSentences,
  type PairExample,
  type SentenceModel,
  type SentenceTokenizer,
} from '../../../src/core/finetune/index.ts';
import { SeededRandom } from '../../../src/core/model/seeded-random.ts';
import { useBackend, type BertEncoder } from '../../../src/core/train/bert/index.ts';
import { cos } from './reference.ts';
import { tinyEncoder, toyTokenizer } from './fixture.ts';

function randomScores(n: number, seed: number): { scores: number[]; labels: number[] } {
  const random = new SeededRandom(seed, 'scores');
  const labels = Array.from({ length: n }, () => (random.nextFloat() < 0.4 ? 1 : 0));
  // Positives score higher on average, with overlap; continuous, so no ties.
  const scores = labels.map((label) => random.nextFloat() * 0.7 + label * 0.3);
  return { scores, labels };
}

/** Every midpoint between distinct sorted scores, highest first; "similar" means score > t. */
function thresholds(scores: number[]): number[] {
  const sorted = [...scores].sort((a, b) => b - a);
  return sorted.slice(0, -1).map((s, i) => (s + (sorted[i + 1] as number)) / 2);
}

describe('binary classification thresholds', () => {
  it('hand-computed cases', () => {
    expect(bestAccuracyThreshold([0.9, 0.8, 0.3, 0.2], [1, 1, 0, 0])).toEqual({
      accuracy: 1,
      threshold: 0.55,
    });
    // Sorted: 0.9(1) 0.7(0) 0.6(1) 0.1(0).
    // Cutting after 0.9 first reaches 3/4 (after 0.6 only ties it): threshold (0.9 + 0.7) / 2.
    const accuracy = bestAccuracyThreshold([0.7, 0.9, 0.1, 0.6], [0, 1, 0, 1]);
    expect(accuracy.accuracy).toBe(0.75);
    expect(accuracy.threshold).toBeCloseTo(0.8, 12);
    const f1 = bestF1Threshold([0.7, 0.9, 0.1, 0.6], [0, 1, 0, 1]);
    // Cut after 0.6: precision 2/3, recall 1, F1 0.8.
    expect(f1.f1).toBeCloseTo(0.8, 12);
    expect(f1.precision).toBeCloseTo(2 / 3, 12);
    expect(f1.recall).toBe(1);
    expect(f1.threshold).toBeCloseTo(0.35, 12);
    // scikit-learn's documented example: average_precision_score → 0.8333….
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.8333333333, 9);
    // Tied scores count as one threshold (sklearn): both at 0.5 → P = 1/2 at R = 1.
    expect(averagePrecision([0.5, 0.5], [1, 0])).toBe(0.5);
  });

  it('agree with brute force over every threshold on random scores', () => {
    for (let seed = 0; seed < 20; seed++) {
      const { scores, labels } = randomScores(40 + seed, seed);
      let bestAcc = { accuracy: -1, threshold: 0 };
      let bestF = { f1: -1, threshold: 0 };
      for (const t of thresholds(scores)) {
        const predicted = scores.map((s) => (s > t ? 1 : 0));
        const right = predicted.filter((p, i) => p === labels[i]).length;
        if (right / scores.length > bestAcc.accuracy)
          bestAcc = { accuracy: right / scores.length, threshold: t };
        const tp = predicted.filter((p, i) => p === 1 && labels[i] === 1).length;
        const fp = predicted.filter((p, i) => p === 1 && labels[i] === 0).length;
        const fn = predicted.filter((p, i) => p === 0 && labels[i] === 1).length;
        const f = tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
        if (f > bestF.f1) bestF = { f1: f, threshold: t };
      }
      const accuracy = bestAccuracyThreshold(scores, labels);
      expect(accuracy.accuracy).toBeCloseTo(bestAcc.accuracy, 12);
      expect(accuracy.threshold).toBeCloseTo(bestAcc.threshold, 12);
      const f1 = bestF1Threshold(scores, labels);
      expect(f1.f1).toBeCloseTo(bestF.f1, 12);
      expect(f1.threshold).toBeCloseTo(bestF.threshold, 12);
      // AP without ties: mean precision at the rank of each positive.
      const order = scores
        .map((_, i) => i)
        .sort((a, b) => (scores[b] as number) - (scores[a] as number));
      let hits = 0;
      let sum = 0;
      order.forEach((row, rank) => {
        if (labels[row] === 1) sum += ++hits / (rank + 1);
      });
      expect(averagePrecision(scores, labels)).toBeCloseTo(sum / hits, 12);
    }
  });
});

/** A stand-in encoder whose last hidden state is a fixed vector per token id. */
function tableEncoder(table: number[][]): BertEncoder {
  const weights = tf.tensor2d(table);
  const unused = (): never => {
    throw new Error('not used by the evaluators');
  };
  return {
    config: undefined as never,
    variables: new Map(),
    forward: (inputIds) =>
      tf.tidy(() =>
        tf.gather(weights, inputIds.toInt()).reshape([...inputIds.shape, table[0]?.length ?? 0]),
      ),
    readWeights: unused,
    assignWeights: unused,
    toSafetensors: unused,
    dispose: () => weights.dispose(),
  };
}

function wordTokenizer(words: string[]): SentenceTokenizer {
  return {
    clsId: 0,
    sepId: 1,
    padId: 2,
    encode: (text) => text.split(' ').map((word) => 3 + words.indexOf(word)),
  };
}

describe('evaluators', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('retrieval metrics on a hand-computed case', async () => {
    const words = ['q1', 'q2', 'd1', 'd2', 'd3'];
    // [CLS], [SEP], [PAD] are zero vectors, so mean pooling only scales a sentence's vector.
    const encoder = tableEncoder([
      [0, 0],
      [0, 0],
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 0.1],
      [1, 0.5],
      [1, 2],
    ]);
    const model: SentenceModel = {
      encoder,
      tokenizer: wordTokenizer(words),
      pooling: { mode: 'mean', normalize: false },
    };
    const before = tf.memory().numTensors;
    const metrics = await evaluateRetrieval(model, {
      queries: new Map([
        ['q1', 'q1'],
        ['q2', 'q2'],
      ]),
      corpus: ['d1', 'd2', 'd3'].map((id) => ({ id, text: id })),
      qrels: new Map([
        ['q1', new Map([['d2', 1]])],
        [
          'q2',
          new Map([
            ['d1', 1],
            ['d3', 1],
          ]),
        ],
      ]),
    });
    expect(tf.memory().numTensors).toBe(before);
    // q1 ranks d1 d2 d3 (relevant d2); q2 ranks d3 d2 d1 (relevant d1, d3).
    const ndcg1 = 1 / Math.log2(3);
    const ndcg2 = (1 + 1 / Math.log2(4)) / (1 + 1 / Math.log2(3));
    expect(metrics['ndcg@10']).toBeCloseTo((ndcg1 + ndcg2) / 2, 6);
    expect(metrics['mrr@10']).toBeCloseTo((0.5 + 1) / 2, 6);
    expect(metrics['map@100']).toBeCloseTo((0.5 + (1 + 2 / 3) / 2) / 2, 6);
    expect(metrics['recall@1']).toBeCloseTo((0 + 0.5) / 2, 6);
    expect(metrics['recall@10']).toBe(1);
    expect(metrics['recall@100']).toBe(1);
    encoder.dispose();
  });

  /**
   * Sentences whose cosines with "a" are chosen: "a" is (1, 0), "bK" is at angle acos(c_K). The
   * special tokens are zero vectors, so mean pooling only scales.
   */
  function angleModel(cosines: number[]): SentenceModel {
    const words = ['a', ...cosines.map((_, k) => `b${k}`)];
    return {
      encoder: tableEncoder([
        [0, 0],
        [0, 0],
        [0, 0],
        [1, 0],
        ...cosines.map((c) => [c, Math.sqrt(1 - c * c)]),
      ]),
      tokenizer: wordTokenizer(words),
      pooling: { mode: 'mean', normalize: true },
    };
  }
  const COSINES = [0.9, 0.5, 0, -0.5];
  const anglePairs = (targets: number[]): PairExample[] =>
    targets.map((label, k) => ({ text1: 'a', text2: `b${k}`, label }));

  it('similarity metrics on a hand-computed case (ties-free ranks, Pearson by hand)', async () => {
    const model = angleModel(COSINES);
    const metrics = await evaluateSimilarity(model, anglePairs([0.8, 1, 0, 0.4]));
    // Ranks: cosines 4 3 2 1, gold 3 4 1 2; Σd² = 4, so ρ = 1 − 6·4 / (4·15) = 0.6.
    expect(metrics.spearman).toBeCloseTo(0.6, 6);
    // Deviations from the means (0.225, 0.55): Σxy = 0.525, Σx² = 1.1075, Σy² = 0.59.
    expect(metrics.pearson).toBeCloseTo(0.525 / Math.sqrt(1.1075 * 0.59), 6);
    expect(metrics.pairs).toBe(4);
    model.encoder.dispose();
  });

  it('binary classification on a hand-computed case', async () => {
    const model = angleModel(COSINES);
    const metrics = await evaluateBinaryClassification(model, anglePairs([1, 0, 1, 0]));
    // Cuts after 0.9 and after 0 both classify 3 of 4 right; the first is kept: (0.9 + 0.5) / 2.
    expect(metrics.accuracy).toBeCloseTo(0.75, 9);
    expect(metrics.accuracy_threshold).toBeCloseTo(0.7, 6);
    // Cut after 0: 2 true positives, 1 false positive, no misses: F1 = 4 / 5.
    expect(metrics.f1).toBeCloseTo(0.8, 9);
    expect(metrics.f1_threshold).toBeCloseTo(-0.25, 6);
    expect(metrics.precision).toBeCloseTo(2 / 3, 9);
    expect(metrics.recall).toBe(1);
    // Positives at ranks 1 and 3: AP = (1 + 2/3) / 2.
    expect(metrics.ap).toBeCloseTo(5 / 6, 6);
    model.encoder.dispose();
  });

  it('retrieval with graded BEIR judgements: nDCG with linear gains, as pytrec_eval', async () => {
    const model = angleModel(COSINES);
    // Ranked by cosine with "a": b0 b1 b2 b3. Judged: b1 grade 2, b3 grade 1, b2 grade 0.
    const metrics = await evaluateRetrieval(model, {
      queries: new Map([['q', 'a']]),
      corpus: COSINES.map((_, k) => ({ id: `b${k}`, text: `b${k}` })),
      qrels: new Map([
        [
          'q',
          new Map([
            ['b1', 2],
            ['b3', 1],
            ['b2', 0],
          ]),
        ],
      ]),
    });
    const dcg = 2 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 2 / Math.log2(2) + 1 / Math.log2(3);
    expect(metrics['ndcg@10']).toBeCloseTo(dcg / idcg, 6);
    expect(metrics['mrr@10']).toBeCloseTo(1 / 2, 6);
    // Relevant at ranks 2 and 4: AP = (1/2 + 2/4) / 2; Recall@1 = 0 of 2.
    expect(metrics['map@100']).toBeCloseTo((1 / 2 + 2 / 4) / 2, 6);
    expect(metrics['recall@1']).toBe(0);
    expect(metrics['recall@10']).toBe(1);
    model.encoder.dispose();
  });

  let encoder: BertEncoder;
  const tokenizer = toyTokenizer();
  beforeAll(async () => {
    encoder = await tinyEncoder(9);
  });
  afterAll(() => encoder.dispose());

  const words =
    'red blue green apple sky grass sun light fruit day field star moon cloud rain tree'.split(' ');
  function sentence(random: SeededRandom): string {
    const length = 2 + (random.nextUint32() % 4);
    return Array.from({ length }, () => words[random.nextUint32() % words.length]).join(' ');
  }
  /** Cosines through one embedBatch call and plain JS, independent of encodeSentences. */
  function directCosines(pairs: { a: string; b: string }[]): number[] {
    const texts = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
    const embedded = embedBatch(encoder, tokenizeSentences(tokenizer, texts), DEFAULT_POOLING);
    const rows = embedded.arraySync() as number[][];
    embedded.dispose();
    const vector = (text: string) => rows[texts.indexOf(text)] as number[];
    return pairs.map((p) => cos(vector(p.a), vector(p.b)));
  }

  it('retrieval on held-out pairs matches a naive full-sort implementation', async () => {
    const random = new SeededRandom(3, 'ir');
    const examples = Array.from({ length: 24 }, () => ({
      anchor: sentence(random),
      positive: sentence(random),
    }));
    const set = retrievalSetFromPairs(examples);
    const metrics = await evaluateRetrieval({ encoder, tokenizer, pooling: DEFAULT_POOLING }, set, {
      batchSize: 5,
    });
    // Naive: every query against every document, full sort, binary relevance.
    const docs = set.corpus;
    const sums = { ndcg: 0, mrr: 0, map: 0, r1: 0, r10: 0 };
    const allPairs = [...set.queries.values()].flatMap((query) =>
      docs.map((d) => ({ a: query, b: d.text })),
    );
    const allScores = directCosines(allPairs);
    let q = 0;
    for (const [, judged] of set.qrels) {
      const scores = allScores.slice(q * docs.length, ++q * docs.length);
      const ranking = docs
        .map((d, i) => ({ id: d.id, score: scores[i] as number }))
        .sort((x, y) => y.score - x.score)
        .map((d) => d.id);
      const relevant = [...judged.keys()];
      const ranks = relevant.map((id) => ranking.indexOf(id) + 1).sort((a, b) => a - b);
      const dcg = ranks.filter((r) => r <= 10).reduce((s, r) => s + 1 / Math.log2(r + 1), 0);
      const idcg = relevant.slice(0, 10).reduce((s, _, i) => s + 1 / Math.log2(i + 2), 0);
      sums.ndcg += dcg / idcg;
      sums.mrr += (ranks[0] as number) <= 10 ? 1 / (ranks[0] as number) : 0;
      sums.map += ranks.reduce((s, r, i) => s + (r <= 100 ? (i + 1) / r : 0), 0) / relevant.length;
      sums.r1 += ranks.filter((r) => r <= 1).length / relevant.length;
      sums.r10 += ranks.filter((r) => r <= 10).length / relevant.length;
    }
    const n = set.qrels.size;
    expect(metrics['ndcg@10']).toBeCloseTo(sums.ndcg / n, 5);
    expect(metrics['mrr@10']).toBeCloseTo(sums.mrr / n, 5);
    expect(metrics['map@100']).toBeCloseTo(sums.map / n, 5);
    expect(metrics['recall@1']).toBeCloseTo(sums.r1 / n, 5);
    expect(metrics['recall@10']).toBeCloseTo(sums.r10 / n, 5);
    expect(metrics['recall@100']).toBe(1);
    // The task is not trivial for an untrained model (the comparison means something).
    expect(metrics['ndcg@10']).toBeLessThan(1);
  });

  it('retrievalSetFromPairs: one query per pair, distinct positives and negatives as the corpus', () => {
    const set = retrievalSetFromPairs([
      { anchor: 'a', positive: 'x' },
      { anchor: 'b', positive: 'x', negatives: ['y'] },
      { anchor: 'a', positive: 'z' },
    ]);
    expect(set.corpus.map((d) => d.text)).toEqual(['x', 'y', 'z']);
    expect([...set.queries.values()]).toEqual(['a', 'b', 'a']);
    expect([...(set.qrels.get('q1') as Map<string, number>).keys()]).toEqual(['d0']);
    expect([...(set.qrels.get('q2') as Map<string, number>).keys()]).toEqual(['d2']);
  });

  function naiveRanks(values: number[]): number[] {
    return values.map((v) => {
      const less = values.filter((w) => w < v).length;
      const equal = values.filter((w) => w === v).length;
      return less + (equal + 1) / 2;
    });
  }
  function naivePearson(x: number[], y: number[]): number {
    const mx = x.reduce((s, v) => s + v, 0) / x.length;
    const my = y.reduce((s, v) => s + v, 0) / y.length;
    const sxy = x.reduce((s, v, i) => s + (v - mx) * ((y[i] as number) - my), 0);
    const sxx = x.reduce((s, v) => s + (v - mx) ** 2, 0);
    const syy = y.reduce((s, v) => s + (v - my) ** 2, 0);
    return sxy / Math.sqrt(sxx * syy);
  }

  it('similarity: Spearman and Pearson of cosine vs gold match naive implementations', async () => {
    const random = new SeededRandom(5, 'sts');
    // Gold on a 0–1 grid of sixths, so ties occur as in STS-B.
    const pairs: PairExample[] = Array.from({ length: 30 }, () => ({
      text1: sentence(random),
      text2: sentence(random),
      label: (random.nextUint32() % 7) / 6,
    }));
    const metrics = await evaluateSimilarity(
      { encoder, tokenizer, pooling: DEFAULT_POOLING },
      pairs,
    );
    const cosines = directCosines(pairs.map((p) => ({ a: p.text1, b: p.text2 })));
    const gold = pairs.map((p) => p.label);
    expect(metrics.pearson).toBeCloseTo(naivePearson(cosines, gold), 5);
    expect(metrics.spearman).toBeCloseTo(naivePearson(naiveRanks(cosines), naiveRanks(gold)), 5);
    // A hand case for the rank helper: ties share the mean rank.
    expect(naiveRanks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it('binary classification evaluator equals the threshold search on direct cosines', async () => {
    const random = new SeededRandom(6, 'binary');
    const pairs: PairExample[] = Array.from({ length: 30 }, () => ({
      text1: sentence(random),
      text2: sentence(random),
      label: random.nextFloat() < 0.5 ? 1 : 0,
    }));
    const before = tf.memory().numTensors;
    const metrics = await evaluateBinaryClassification(
      { encoder, tokenizer, pooling: DEFAULT_POOLING },
      pairs,
    );
    expect(tf.memory().numTensors).toBe(before);
    const cosines = directCosines(pairs.map((p) => ({ a: p.text1, b: p.text2 })));
    const labels = pairs.map((p) => p.label);
    const best = bestAccuracyThreshold(cosines, labels);
    expect(metrics.accuracy).toBeCloseTo(best.accuracy, 9);
    expect(metrics.accuracy_threshold).toBeCloseTo(best.threshold, 5);
    expect(metrics.f1).toBeCloseTo(bestF1Threshold(cosines, labels).f1, 9);
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0.5);
  });
});
