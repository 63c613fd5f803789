import { describe, expect, it } from 'vitest';
import { isAbortError } from '../../../src/core/abort.ts';
import type { Progress } from '../../../src/core/progress.ts';
import { Bm25Index } from '../../../src/core/lexical/index.ts';

const plain = { stopwords: false, stem: false } as const;
const docs = [
  { id: 'd1', text: 'cat cat dog' },
  { id: 'd2', text: 'cat fish' },
  { id: 'd3', text: 'bird' },
];

/** Lucene BM25 by hand: N = 3, avgdl = 2, k1 = 1.2, b = 0.75. */
const idf = (df: number) => Math.log(1 + (3 - df + 0.5) / (df + 0.5));
const part = (tf: number, dl: number) => tf / (tf + 1.2 * (1 - 0.75 + (0.75 * dl) / 2));

describe('Bm25Index', () => {
  it('scores a tiny corpus as the Lucene formula does by hand', async () => {
    const index = await Bm25Index.build(docs, { analyzer: plain });
    expect(index.documentCount).toBe(3);
    expect(index.averageDocumentLength).toBe(2);
    const cat = index.search('cat', 10);
    expect(cat.map((hit) => hit.id)).toEqual(['d1', 'd2']);
    expect(cat[0]?.score).toBeCloseTo(Math.log(1.6) * (2 / 3.65), 12);
    expect(cat[1]?.score).toBeCloseTo(idf(2) * part(1, 2), 12);

    const catFish = index.search('cat fish', 10);
    expect(catFish.map((hit) => hit.id)).toEqual(['d2', 'd1']);
    expect(catFish[0]?.score).toBeCloseTo(idf(2) * part(1, 2) + idf(1) * part(1, 2), 12);
    expect(index.search('unicorn', 10)).toEqual([]);
  });

  it('counts a repeated query term once per repetition and honours k1, b', async () => {
    const index = await Bm25Index.build(docs, { analyzer: plain, k1: 2, b: 0 });
    const [hit] = index.search('fish fish', 1);
    expect(hit?.score).toBeCloseTo(2 * idf(1) * (1 / (1 + 2)), 12);
  });

  it('keeps the top k without the rest, breaks ties by position and filters by id', async () => {
    const same = Array.from({ length: 50 }, (_, i) => ({ id: `doc${i}`, text: 'alpha beta' }));
    const index = await Bm25Index.build(
      [...same, { id: 'best', text: 'alpha alpha beta' }, { id: 'none', text: 'gamma' }],
      { analyzer: plain, chunkSize: 7 },
    );
    const hits = index.search('alpha', 3);
    expect(hits.map((hit) => hit.id)).toEqual(['best', 'doc0', 'doc1']);
    const filtered = index.search('alpha', 2, { filter: (id) => id !== 'best' && id !== 'doc0' });
    expect(filtered.map((hit) => hit.id)).toEqual(['doc1', 'doc2']);
    expect(index.search('alpha', 0)).toEqual([]);
    expect(() => index.search('alpha', -1)).toThrow(RangeError);
  });

  it('survives a structured clone of its snapshot with identical results', async () => {
    const index = await Bm25Index.build(docs);
    const snapshot = structuredClone(index.toSnapshot());
    expect(snapshot.postingDocs).toBeInstanceOf(Uint32Array);
    const restored = Bm25Index.fromSnapshot(snapshot);
    expect(restored.search('cats and fishes', 5)).toEqual(index.search('cats and fishes', 5));
    expect(() => Bm25Index.fromSnapshot({ ...snapshot, offsets: new Uint32Array(1) })).toThrow(
      /inconsistent/,
    );
  });

  it('reports progress and stops when aborted', async () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ id: String(i), text: `word${i} text` }));
    const events: Progress[] = [];
    await Bm25Index.build(many, { chunkSize: 10, onProgress: (event) => events.push(event) });
    expect(events[0]?.status).toBe('start');
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
    expect(events.filter((event) => event.status === 'progress')).toHaveLength(10);

    const controller = new AbortController();
    const build = Bm25Index.build(many, {
      chunkSize: 10,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.status === 'progress' && event.done >= 30) controller.abort();
      },
    });
    await expect(build).rejects.toSatisfy(isAbortError);
  });

  it('rejects parameters outside their range', async () => {
    await expect(Bm25Index.build(docs, { b: 1.5 })).rejects.toThrow(RangeError);
    await expect(Bm25Index.build(docs, { k1: -1 })).rejects.toThrow(RangeError);
  });
});
