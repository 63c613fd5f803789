import { describe, expect, it } from 'vitest';
import {
  applyReranker,
  cosine,
  jaccard,
  mmrSelect,
  type Reranker,
} from '../../../src/core/rag/index.ts';

describe('mmrSelect', () => {
  // relevance 0.9, 0.85, 0.5; 0 and 1 are near duplicates (0.95), 2 is different.
  const relevance = [0.9, 0.85, 0.5];
  const sims: Record<string, number> = { '0,1': 0.95, '0,2': 0.1, '1,2': 0.2 };
  const similarity = (a: number, b: number) => sims[[a, b].sort().join(',')] ?? 1;

  it('matches the hand-computed picks with lambda 0.5', () => {
    // Round 1: 0.5·0.9 = 0.45 → 0. Round 2: item 1: 0.425 − 0.475 = −0.05; item 2: 0.25 − 0.05 =
    // 0.2 → 2. Round 3: 1.
    expect(mmrSelect(relevance, similarity, 3, 0.5)).toEqual([0, 2, 1]);
    expect(mmrSelect(relevance, similarity, 2, 0.5)).toEqual([0, 2]);
  });

  it('is plain relevance order at lambda 1 and ignores relevance after the first at lambda 0', () => {
    expect(mmrSelect(relevance, similarity, 3, 1)).toEqual([0, 1, 2]);
    // lambda 0, round 1 all score 0: the first (0) wins ties; then the least similar to 0 is 2.
    expect(mmrSelect(relevance, similarity, 3, 0)).toEqual([0, 2, 1]);
  });

  it('rejects a lambda outside [0, 1]', () => {
    expect(() => mmrSelect(relevance, similarity, 2, 1.5)).toThrow(RangeError);
  });
});

describe('similarities', () => {
  it('cosine and jaccard', () => {
    expect(cosine(Float32Array.of(1, 0), Float32Array.of(1, 1))).toBeCloseTo(Math.SQRT1_2, 6);
    expect(cosine(Float32Array.of(0, 0), Float32Array.of(1, 1))).toBe(0);
    expect(jaccard(new Set(['a', 'b', 'c']), new Set(['b', 'c', 'd']))).toBeCloseTo(2 / 4, 9);
  });
});

describe('applyReranker', () => {
  const items = [
    { text: 'alpha', score: 3 },
    { text: 'beta', score: 2 },
    { text: 'gamma', score: 1 },
  ];

  it('replaces scores, reorders, keeps the retrieval score, and keeps ties in first-stage order', async () => {
    const reranker: Reranker = {
      rerank: (_q, passages) => Promise.resolve(passages.map((p) => (p === 'alpha' ? 0.1 : 0.9))),
    };
    const out = await applyReranker(reranker, 'q', items);
    expect(out.map((i) => i.text)).toEqual(['beta', 'gamma', 'alpha']);
    expect(out.map((i) => i.score)).toEqual([0.9, 0.9, 0.1]);
    expect(out.map((i) => i.retrievalScore)).toEqual([2, 1, 3]);
  });

  it('rejects a wrong number of scores or a non-finite one', async () => {
    const short: Reranker = { rerank: () => Promise.resolve([1]) };
    await expect(applyReranker(short, 'q', items)).rejects.toThrow(/1 scores for 3/);
    const nan: Reranker = { rerank: () => Promise.resolve([1, Number.NaN, 0]) };
    await expect(applyReranker(nan, 'q', items)).rejects.toThrow(/passage 2/);
  });
});
