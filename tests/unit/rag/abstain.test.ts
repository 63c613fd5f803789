import { describe, expect, it } from 'vitest';
import { Bm25Index } from '../../../src/core/lexical/index.ts';
import {
  bm25Normalizer,
  BundleRagSource,
  retrieve,
  shouldAbstain,
  topicalQuery,
} from '../../../src/core/rag/index.ts';
import { chunkAt } from './helpers.ts';

describe('abstention', () => {
  it('abstains only when no score kind reaches its threshold', () => {
    const t = { lexical: 0.2, semantic: 0.5 };
    expect(shouldAbstain({ lexical: 0.1, semantic: null }, t)).toBe(true);
    expect(shouldAbstain({ lexical: 0.25, semantic: null }, t)).toBe(false);
    expect(shouldAbstain({ lexical: null, semantic: 0.6 }, t)).toBe(false);
    expect(shouldAbstain({ lexical: 0.1, semantic: 0.6 }, t)).toBe(false);
    expect(shouldAbstain({ lexical: null, semantic: null }, t)).toBe(true);
  });

  it('drops question words but keeps a question made only of them', () => {
    expect(topicalQuery('When should I prune roses?')).toBe('prune roses?');
    expect(topicalQuery('What do you do?')).toBe('What do you do?');
  });

  it('normalises BM25 by the idf mass of the query: 1 − ε for a full match, hand-checked for part', async () => {
    const index = await Bm25Index.build([
      { id: 'a', text: 'red apple' },
      { id: 'b', text: 'green pear' },
      { id: 'c', text: 'blue sky' },
    ]);
    // N = 3, df = 1 for each term: idf = ln(1 + 2.5 / 1.5).
    const idf = Math.log(1 + 2.5 / 1.5);
    const normalize = bm25Normalizer(index, 'red apple');
    const [top] = index.search('red apple', 1);
    expect(normalize(top?.score ?? 0)).toBeCloseTo((top?.score ?? 0) / (2 * idf), 12);
    expect(normalize(top?.score ?? 0)).toBeLessThan(1);
    // A query term the corpus lacks (df = 0) still counts in the mass: idf = ln(1 + 3.5 / 0.5).
    const withMissing = bm25Normalizer(index, 'red apple zebra');
    expect(withMissing(1)).toBeCloseTo(1 / (2 * idf + Math.log(1 + 3.5 / 0.5)), 12);
  });

  it('retrieve honours an aborted signal', async () => {
    const text = 'Some text here.';
    const source = new BundleRagSource(
      { chunks: [chunkAt('d', 0, text, 0, text.length)], embeddings: null, dims: null },
      { name: 't' },
    );
    const controller = new AbortController();
    controller.abort();
    await expect(
      retrieve(source, 'text', { mode: 'bm25', k: 1, signal: controller.signal }),
    ).rejects.toThrow(/abort/i);
  });
});
