import { describe, expect, it } from 'vitest';
import { BundleRagSource, expandNeighbours, retrieve } from '../../../src/core/rag/index.ts';
import { chunkAt, passageOf } from './helpers.ts';

const DOC_A =
  'Cats purr when content. Cats sleep most of the day. Cats hunt mice at night. Dogs bark.';
const DOC_B = 'Photosynthesis turns light into sugar. Chlorophyll absorbs red and blue light.';
// A cut at each sentence end: four chunks of A, two of B.
const chunks = [
  chunkAt('a', 0, DOC_A, 0, 23, { lang: 'en' }),
  chunkAt('a', 1, DOC_A, 24, 51, { lang: 'en' }),
  chunkAt('a', 2, DOC_A, 52, 76, { lang: 'en' }),
  chunkAt('a', 3, DOC_A, 77, 87, { lang: 'en' }),
  chunkAt('b', 0, DOC_B, 0, 38, { lang: 'fr' }),
  chunkAt('b', 1, DOC_B, 39, DOC_B.length, { lang: 'fr' }),
];
// 2-d vectors: a#0 and a#1 point the same way, a#2 is at 90°, the rest elsewhere.
const vectors = Float32Array.of(1, 0, 0.99, 0.1, 0, 1, -1, 0, 0.6, 0.8, 0.5, -0.5);
function chunk(i: number): (typeof chunks)[number] {
  const found = chunks[i];
  if (!found) throw new Error(`no chunk ${i}`);
  return found;
}
const source = new BundleRagSource({ chunks, embeddings: vectors, dims: 2 }, { name: 'pets' });

describe('retrieve', () => {
  it('ranks by BM25 with normalised lexical evidence in [0, 1)', async () => {
    const result = await retrieve(source, 'cats sleep', { mode: 'bm25', k: 2 });
    expect(result.passages[0]?.id).toBe('a#1');
    expect(result.evidence.lexical).toBeGreaterThan(0.3);
    expect(result.evidence.lexical).toBeLessThan(1);
    expect(result.evidence.semantic).toBeNull();
  });

  it('ranks by cosine in dense mode and fuses both in hybrid', async () => {
    const dense = await retrieve(source, 'x', {
      mode: 'dense',
      k: 3,
      queryVector: Float32Array.of(0, 1),
    });
    expect(dense.passages.map((p) => p.id)).toEqual(['a#2', 'b#0', 'a#1']);
    expect(dense.passages[0]?.semanticScore).toBeCloseTo(1, 6);
    const hybrid = await retrieve(source, 'chlorophyll light', {
      mode: 'hybrid',
      k: 2,
      queryVector: Float32Array.of(0, 1),
    });
    expect(hybrid.evidence.lexical).not.toBeNull();
    expect(hybrid.evidence.semantic).not.toBeNull();
    await expect(retrieve(source, 'x', { mode: 'dense', k: 1 })).rejects.toThrow(/vector/);
  });

  it('applies metadata filters', async () => {
    const result = await retrieve(source, 'light cats', {
      mode: 'bm25',
      k: 5,
      where: { metadata: { lang: 'fr' } },
    });
    expect(result.passages.length).toBeGreaterThan(0);
    expect(result.passages.every((p) => p.docId === 'b')).toBe(true);
  });

  it('diversifies with MMR over chunk vectors, and over term overlap without vectors', async () => {
    // Dense query along a#0: plain top 2 is a#0, a#1 (cosine 0.99 to each other).
    const query = Float32Array.of(1, 0.05);
    const plain = await retrieve(source, 'x', { mode: 'dense', k: 2, queryVector: query });
    expect(plain.passages.map((p) => p.id)).toEqual(['a#0', 'a#1']);
    const diverse = await retrieve(source, 'x', {
      mode: 'dense',
      k: 2,
      queryVector: query,
      mmr: { lambda: 0.5, fetchK: 6 },
    });
    expect(diverse.mmrSimilarity).toBe('cosine');
    expect(diverse.passages[0]?.id).toBe('a#0');
    expect(diverse.passages[1]?.id).not.toBe('a#1');

    const textOnly = new BundleRagSource(
      { chunks, embeddings: null, dims: null },
      { name: 'pets' },
    );
    const lexical = await retrieve(textOnly, 'cats', { mode: 'bm25', k: 2, mmr: { lambda: 0.7 } });
    expect(lexical.mmrSimilarity).toBe('term-overlap');
    expect(lexical.passages).toHaveLength(2);
  });
});

describe('expandNeighbours', () => {
  it('adds the previous and next chunks of the same document once, after their passage', async () => {
    const kept = [
      passageOf(chunk(1), 2, 1),
      passageOf(chunk(2), 1, 2),
      passageOf(chunk(5), 0.5, 3),
    ];
    const out = await expandNeighbours(source, kept, 1);
    expect(out.map((p) => [p.id, p.neighbourOf])).toEqual([
      ['a#1', null],
      ['a#0', 'a#1'],
      ['a#2', null],
      ['a#3', 'a#2'],
      ['b#1', null],
      ['b#0', 'b#1'],
    ]);
    const wide = await expandNeighbours(source, [passageOf(chunk(0), 1)], 2);
    expect(wide.map((p) => p.id)).toEqual(['a#0', 'a#1', 'a#2']);
  });

  it('runs inside retrieve with the window option', async () => {
    const result = await retrieve(source, 'hunt mice', { mode: 'bm25', k: 1, neighbours: 1 });
    expect(result.passages.map((p) => p.id)).toEqual(['a#2', 'a#1', 'a#3']);
  });
});
