import { describe, expect, it } from 'vitest';
import { clusterLabels, wordTokenizer } from '../../../src/core/analyze/index.ts';

describe('clusterLabels (c-TF-IDF)', () => {
  it('computes BERTopic c-TF-IDF scores on a hand-made corpus', async () => {
    // Cluster 0: apple ×2, banana ×1 (3 terms); cluster 1: banana, cherry (2 terms).
    // A = trunc(5 / 2) = 2; f: apple 2, banana 2, cherry 1.
    const labels = await clusterLabels(['apple apple', 'banana', 'banana cherry'], [0, 0, 1]);
    expect(labels.map((label) => label.cluster)).toEqual([0, 1]);
    expect(labels.map((label) => label.size)).toEqual([2, 1]);
    const [first, second] = labels;
    expect(first?.terms.map((t) => t.term)).toEqual(['apple', 'banana']);
    expect(first?.terms[0]?.score).toBeCloseTo((2 / 3) * Math.log(2), 10);
    expect(first?.terms[1]?.score).toBeCloseTo((1 / 3) * Math.log(2), 10);
    expect(second?.terms.map((t) => t.term)).toEqual(['cherry', 'banana']);
    expect(second?.terms[0]?.score).toBeCloseTo(0.5 * Math.log(3), 10);
  });

  it('finds the distinctive words of each topic and skips noise', async () => {
    const texts = [
      'The striker scored a late goal in the match',
      'A penalty goal decided the match for the home team',
      'The keeper saved the penalty and the team won the match',
      'Boil the pasta and add the tomato sauce',
      'The sauce needs garlic, tomato and olive oil',
      'Serve the pasta with the garlic sauce',
      'The weather is nice and the team likes pasta', // noise
    ];
    const labels = await clusterLabels(texts, [0, 0, 0, 1, 1, 1, -1], {
      tokenizer: wordTokenizer(['the', 'and', 'a', 'in', 'for', 'with', 'is']),
      topN: 2,
    });
    expect(labels.map((label) => label.terms.map((t) => t.term))).toEqual([
      ['match', 'goal'],
      ['sauce', 'garlic'], // garlic, pasta and tomato tie at 2; ties go alphabetically
    ]);
  });

  it('supports BM25 idf, square-rooted tf, and a custom tokenizer', async () => {
    const labels = await clusterLabels(['x y', 'y z'], [0, 1], {
      tokenizer: (text) => text.split(' '),
      bm25Weighting: true,
      reduceFrequentWords: true,
    });
    // A = 2; f: x 1, y 2, z 1. idf_bm25(f) = log(1 + (A − f + 0.5) / (f + 0.5)).
    const idf = (f: number) => Math.log(1 + (2 - f + 0.5) / (f + 0.5));
    expect(labels[0]?.terms).toEqual([
      { term: 'x', score: Math.sqrt(0.5) * idf(1) },
      { term: 'y', score: Math.sqrt(0.5) * idf(2) },
    ]);
  });

  it('tokenizes Unicode words and drops stopwords', () => {
    const tokenize = wordTokenizer(['Der']);
    expect(tokenize("Der Bär don't x Café 42")).toEqual(['bär', "don't", 'café', '42']);
  });

  it('reports progress and aborts', async () => {
    const statuses: string[] = [];
    await clusterLabels(['a b', 'c d'], [0, 1], { onProgress: (e) => statuses.push(e.status) });
    expect(statuses).toEqual(['start', 'done']);
    const controller = new AbortController();
    const texts = Array.from({ length: 600 }, (_, i) => `word${i % 7} other`);
    const run = clusterLabels(
      texts,
      texts.map((_, i) => i % 3),
      {
        signal: controller.signal,
        onProgress: (e) => {
          if (e.status === 'start') controller.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });
});
