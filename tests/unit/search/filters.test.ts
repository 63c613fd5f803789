import { describe, expect, it } from 'vitest';
import {
  documentMatches,
  EmbeddingSetCache,
  filterKey,
  searchStoredSet,
} from '../../../src/core/search/index.ts';
import { docIdOfChunk } from '../../../src/core/store/index.ts';
import {
  chunkId,
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
} from '../../../src/core/store/index.ts';
import { openTestStore } from '../store/indexeddb-env.ts';

const DIMS = 6;

function vectorFor(i: number): number[] {
  const v = Array.from({ length: DIMS }, (_, j) => Math.sin(i * 7.13 + j * 3.7));
  const length = Math.hypot(...v);
  return v.map((x) => x / length);
}

describe('search filters', () => {
  it('match documents by source, id and metadata (any-of lists, strict equality)', () => {
    const doc = { id: 'd#1', source: 'a.txt', metadata: { lang: 'en', year: 2020, draft: false } };
    expect(documentMatches(doc, {})).toBe(true);
    expect(documentMatches(doc, { sources: ['a.txt', 'b.txt'] })).toBe(true);
    expect(documentMatches(doc, { sources: ['b.txt'] })).toBe(false);
    expect(documentMatches(doc, { docIds: ['d#1'] })).toBe(true);
    expect(documentMatches(doc, { metadata: { lang: ['fr', 'en'], year: 2020 } })).toBe(true);
    expect(documentMatches(doc, { metadata: { year: '2020' } })).toBe(false);
    expect(documentMatches(doc, { metadata: { draft: false } })).toBe(true);
    expect(documentMatches(doc, { metadata: { missing: 'x' } })).toBe(false);
    expect(docIdOfChunk(chunkId('d#1', 4))).toBe('d#1');
    expect(filterKey({ sources: ['b', 'a'], metadata: { y: 1, x: [2, 1] } })).toBe(
      filterKey({ metadata: { x: [1, 2], y: [1] }, sources: ['a', 'b'] }),
    );
  });

  it('restrict a stored-set search to matching documents, equal to filtering before ranking', async () => {
    const store = await openTestStore();
    const dataset = await store.createDataset('filters');
    const docs = Array.from({ length: 300 }, (_, d) => ({
      id: `doc-${d}`,
      source: `file-${d % 4}.txt`,
      text: `text ${d}`,
      metadata: { lang: d % 3 === 0 ? 'fr' : 'en', year: 2000 + (d % 5) },
    }));
    await store.addDocuments(dataset.id, 'hash', docs);
    const ids = docs.flatMap((doc) => [0, 1, 2].map((index) => chunkId(doc.id, index)));
    const blocks = [0, 1].map((b) => emptyEmbeddingBlock(dataset.id, 'set', b, DIMS));
    ids.forEach((id, i) => {
      const block = blocks[Math.floor(i / EMBEDDING_BLOCK_ROWS)];
      if (!block) throw new Error('too many rows for the test blocks');
      block.vectors.set(vectorFor(i), block.count * DIMS);
      block.chunkIds.push(id);
      block.count++;
    });
    await store.putEmbeddingBlocks(blocks);

    const cache = new EmbeddingSetCache(store);
    const query = Float32Array.from(vectorFor(5));
    const where = { sources: ['file-1.txt', 'file-2.txt'], metadata: { lang: 'en' } };
    const result = await searchStoredSet(store, cache, dataset.id, 'set', query, 20, { where });
    expect(result.backend).toBe('wasm');
    expect(result.rows).toBe(ids.length);
    const allowed = new Set(
      docs
        .filter((d) => ['file-1.txt', 'file-2.txt'].includes(d.source) && d.metadata.lang === 'en')
        .map((d) => d.id),
    );
    const expected = ids
      .map((id, i) => ({ id, score: vectorFor(i).reduce((s, v, j) => s + v * (query[j] ?? 0), 0) }))
      .filter(({ id }) => allowed.has(docIdOfChunk(id)))
      .sort((a, b) => b.score - a.score)
      .slice(0, 20);
    expect(result.hits.map((h) => h.chunkId)).toEqual(expected.map((e) => e.id));
    // No chunk records are stored here, so hits carry no document: check by id.
    for (const hit of result.hits) expect(allowed.has(docIdOfChunk(hit.chunkId))).toBe(true);

    const js = await searchStoredSet(store, cache, dataset.id, 'set', query, 20, {
      where: { metadata: { year: [2001, 2003] } },
      backend: 'js',
    });
    expect(js.backend).toBe('js');
    expect(js.hits).toHaveLength(20);
    for (const hit of js.hits) {
      expect([2001, 2003]).toContain(
        docs.find((d) => d.id === docIdOfChunk(hit.chunkId))?.metadata.year,
      );
    }
    const index = await cache.index(dataset.id, 'set');
    expect(index.masks.size).toBe(2);
    store.close();
  });
});
