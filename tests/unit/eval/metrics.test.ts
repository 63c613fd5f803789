import { describe, expect, it } from 'vitest';
import {
  averagePrecisionAt,
  evaluateRun,
  ndcgAt,
  rankRun,
  recallAt,
  reciprocalRankAt,
} from '../../../src/core/eval/index.ts';

// Ranking a, b, c, d against b (1), d (2) and the unretrieved e (1).
const ranking = ['a', 'b', 'c', 'd'];
const qrels = new Map([
  ['b', 1],
  ['d', 2],
  ['e', 1],
  ['n', 0],
]);

describe('IR metrics', () => {
  it('nDCG uses gain = relevance, log2 discount and the qrels ideal', () => {
    const dcg = 1 / Math.log2(3) + 2 / Math.log2(5);
    const ideal = 2 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(ndcgAt(ranking, qrels, 10)).toBeCloseTo(dcg / ideal, 12);
    expect(ndcgAt(ranking, qrels, 10)).toBeCloseTo(0.476626, 6);
    // At k = 1 the ideal is the single grade-2 document; a ranks first and is not relevant.
    expect(ndcgAt(ranking, qrels, 1)).toBe(0);
    expect(ndcgAt(['d'], qrels, 1)).toBe(1);
  });

  it('MRR, recall and average precision', () => {
    expect(reciprocalRankAt(ranking, qrels, 10)).toBe(0.5);
    expect(reciprocalRankAt(ranking, qrels, 1)).toBe(0);
    expect(recallAt(ranking, qrels, 100)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(ranking, qrels, 2)).toBeCloseTo(1 / 3, 12);
    expect(averagePrecisionAt(ranking, qrels)).toBeCloseTo((1 / 2 + 2 / 4) / 3, 12);
    expect(averagePrecisionAt(ranking, qrels, 3)).toBeCloseTo(1 / 2 / 3, 12);
  });

  it('ranks a run as trec_eval does: score down, then document id down', () => {
    expect(
      rankRun([
        { id: 'a', score: 1 },
        { id: 'b', score: 1 },
        { id: 'c', score: 2 },
      ]),
    ).toEqual(['c', 'b', 'a']);
  });

  it('averages over every judged query, 0 for a query the run lacks', () => {
    const run = new Map([
      [
        'q1',
        [
          { id: 'd', score: 4 },
          { id: 'x', score: 3 },
        ],
      ],
    ]);
    const judged = new Map([
      ['q1', new Map([['d', 1]])],
      ['q2', new Map([['y', 1]])],
    ]);
    const metrics = evaluateRun(judged, run);
    expect(metrics).toEqual({
      'ndcg@10': 0.5,
      'mrr@10': 0.5,
      'recall@100': 0.5,
      'map@100': 0.5,
      'map@1000': 0.5,
      queries: 2,
    });
  });
});
