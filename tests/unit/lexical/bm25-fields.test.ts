import { describe, expect, it } from 'vitest';
import { isAbortError } from '../../../src/core/abort.ts';
import type { Progress } from '../../../src/core/progress.ts';
import {
  Bm25FieldsIndex,
  decodeLuceneLength,
  encodeLuceneLength,
  luceneLength,
} from '../../../src/core/lexical/index.ts';

const plain = { stopwords: false, stem: false } as const;
const fields = ['title', 'text'];
const docs = [
  { id: 'd1', fields: { title: 'cat', text: 'dog dog fish' } },
  { id: 'd2', fields: { title: 'cat dog', text: 'bird' } },
  { id: 'd3', fields: { text: 'cat bird bird fish' } },
];

/** Lucene BM25 by hand, per field: N is the field's document count, avgdl its mean length. */
const idf = (n: number, df: number) => Math.log(1 + (n - df + 0.5) / (df + 0.5));
const part = (tf: number, dl: number, avgdl: number, k1 = 1.2, b = 0.75) =>
  tf / (tf + k1 * (1 - b + (b * dl) / avgdl));
// title: d1 (1 term), d2 (2 terms), d3 has none → N 2, avgdl 1.5. text: 3, 1, 4 terms → N 3, avgdl 8/3.
const titleAvg = 1.5;
const textAvg = 8 / 3;
const bestFields = (scores: number[], tie: number) => {
  const max = Math.max(...scores);
  return max + tie * (scores.reduce((sum, s) => sum + s, 0) - max);
};

describe('Bm25FieldsIndex', () => {
  it('keeps statistics per field, as Lucene does', async () => {
    const index = await Bm25FieldsIndex.build(docs, { fields, analyzer: plain, lengths: 'exact' });
    expect(index.documentCount).toBe(3);
    expect(index.fields).toEqual(fields);
    expect(index.fieldStats('title')).toEqual({ documentCount: 2, averageLength: titleAvg });
    expect(index.fieldStats('text')).toEqual({ documentCount: 3, averageLength: textAvg });
    expect(() => index.fieldStats('body')).toThrow(RangeError);
  });

  it('scores best_fields with a tie breaker as the formula does by hand', async () => {
    const index = await Bm25FieldsIndex.build(docs, { fields, analyzer: plain, lengths: 'exact' });
    expect(index.params.tieBreaker).toBe(0.5);
    const d1 = [idf(2, 2) * part(1, 1, titleAvg), idf(3, 1) * part(2, 3, textAvg)];
    const d2 = [idf(2, 2) * part(1, 2, titleAvg) + idf(2, 1) * part(1, 2, titleAvg), 0];
    const d3 = [0, idf(3, 1) * part(1, 4, textAvg)];
    for (const tie of [0, 0.5, 1]) {
      const expected = [
        { id: 'd1', score: bestFields(d1, tie) },
        { id: 'd2', score: bestFields(d2, tie) },
        { id: 'd3', score: bestFields(d3, tie) },
      ].sort((a, b) => b.score - a.score);
      const hits = index.search('cat dog', 10, { tieBreaker: tie });
      expect(hits.map((hit) => hit.id)).toEqual(expected.map((hit) => hit.id));
      hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]?.score ?? NaN, 12));
    }
    // Only a document matching in several fields gains from the tie breaker.
    const score = (tie: number, id: string) =>
      index.search('cat dog', 10, { tieBreaker: tie }).find((hit) => hit.id === id)?.score ?? 0;
    expect(score(1, 'd1')).toBeGreaterThan(score(0, 'd1') + 0.05);
    expect(score(1, 'd2')).toBeCloseTo(score(0, 'd2'), 12);
    expect(index.search('unicorn', 10)).toEqual([]);
  });

  it('honours k1, b and repeated query terms', async () => {
    const index = await Bm25FieldsIndex.build(docs, {
      fields,
      analyzer: plain,
      lengths: 'exact',
      k1: 2,
      b: 0,
      tieBreaker: 0,
    });
    const [hit] = index.search('bird bird', 1);
    expect(hit?.id).toBe('d3');
    expect(hit?.score).toBeCloseTo(2 * idf(3, 2) * part(2, 4, textAvg, 2, 0), 12);
  });

  it('rounds field lengths as Lucene’s one-byte norms when asked (the default)', async () => {
    expect([0, 1, 23, 24, 25, 40].map(luceneLength)).toEqual([0, 1, 23, 24, 25, 40]);
    // Above 24: 24 + (length − 24) kept to 4 significant bits, rounded down.
    expect(luceneLength(100)).toBe(24 + 72);
    expect(luceneLength(150)).toBe(24 + 120);
    expect(luceneLength(1000)).toBe(24 + 960);
    expect(encodeLuceneLength(2 ** 31 - 1)).toBe(255);
    expect(decodeLuceneLength(encodeLuceneLength(100))).toBe(96);
    expect(() => encodeLuceneLength(-1)).toThrow(RangeError);

    const long = { id: 'long', fields: { text: `x ${'y '.repeat(99)}` } };
    const short = { id: 'short', fields: { text: 'x z' } };
    const avgdl = (100 + 2) / 2;
    for (const lengths of ['lucene', 'exact'] as const) {
      const index = await Bm25FieldsIndex.build([long, short], {
        fields: ['text'],
        analyzer: plain,
        lengths,
      });
      const hit = index.search('x', 2).find((h) => h.id === 'long');
      const dl = lengths === 'lucene' ? 96 : 100;
      expect(hit?.score).toBeCloseTo(idf(2, 2) * part(1, dl, avgdl), 12);
    }
  });

  it('filters by id, keeps the top k and breaks ties by position', async () => {
    const same = Array.from({ length: 20 }, (_, i) => ({
      id: `doc${i}`,
      fields: { title: 'alpha', text: 'beta' },
    }));
    const index = await Bm25FieldsIndex.build(same, { fields, analyzer: plain, chunkSize: 3 });
    expect(index.search('alpha beta', 3).map((hit) => hit.id)).toEqual(['doc0', 'doc1', 'doc2']);
    const filtered = index.search('alpha', 2, { filter: (id) => id !== 'doc0' });
    expect(filtered.map((hit) => hit.id)).toEqual(['doc1', 'doc2']);
    expect(() => index.search('alpha', -1)).toThrow(RangeError);
    expect(() => index.search('alpha', 1, { tieBreaker: 2 })).toThrow(RangeError);
  });

  it('survives a structured clone of its snapshot with identical results', async () => {
    const index = await Bm25FieldsIndex.build(docs, { fields });
    const snapshot = structuredClone(index.toSnapshot());
    expect(snapshot.postings[0]?.postingDocs).toBeInstanceOf(Uint32Array);
    const restored = Bm25FieldsIndex.fromSnapshot(snapshot);
    expect(restored.search('cats and birds', 5)).toEqual(index.search('cats and birds', 5));
    expect(restored.params).toEqual(index.params);
    const broken = { ...snapshot, postings: snapshot.postings.slice(0, 1) };
    expect(() => Bm25FieldsIndex.fromSnapshot(broken)).toThrow(/inconsistent/);
  });

  it('reports progress over all fields and stops when aborted', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({
      id: String(i),
      fields: { title: `t${i}`, text: `word${i} text` },
    }));
    const events: Progress[] = [];
    await Bm25FieldsIndex.build(many, {
      fields,
      chunkSize: 10,
      onProgress: (event) => events.push(event),
    });
    expect(events[0]?.status).toBe('start');
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
    const steps = events.filter((event) => event.status === 'progress');
    expect(steps).toHaveLength(10);
    expect(steps.at(-1)).toMatchObject({ done: 100, total: 100 });

    const controller = new AbortController();
    const build = Bm25FieldsIndex.build(many, {
      fields,
      chunkSize: 10,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.status === 'progress' && event.done >= 30) controller.abort();
      },
    });
    await expect(build).rejects.toSatisfy(isAbortError);
  });

  it('rejects bad parameters and field lists', async () => {
    await expect(Bm25FieldsIndex.build(docs, { fields, b: 1.5 })).rejects.toThrow(RangeError);
    await expect(Bm25FieldsIndex.build(docs, { fields, tieBreaker: -0.1 })).rejects.toThrow(
      RangeError,
    );
    await expect(Bm25FieldsIndex.build(docs, { fields: [] })).rejects.toThrow(RangeError);
    await expect(Bm25FieldsIndex.build(docs, { fields: ['a', 'a'] })).rejects.toThrow(RangeError);
  });
});
