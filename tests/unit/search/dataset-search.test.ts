import { describe, expect, it } from 'vitest';
import {
  EmbeddingSetCache,
  LexicalSetCache,
  searchDataset,
  storedChunkVector,
  type SearchCaches,
} from '../../../src/core/search/index.ts';
import { emptyEmbeddingBlock, type LuminaStore } from '../../../src/core/store/index.ts';
import { openTestStore } from '../store/indexeddb-env.ts';

const DIMS = 4;

/** Documents with one chunk each, and a vector per chunk chosen so semantic ranks are known. */
const CORPUS = [
  {
    id: 'cats',
    source: 'pets.txt',
    lang: 'en',
    text: 'cats purr and sleep in the sun',
    v: [1, 0, 0, 0],
  },
  {
    id: 'dogs',
    source: 'pets.txt',
    lang: 'en',
    text: 'dogs bark at the mail carrier',
    v: [0.8, 0.6, 0, 0],
  },
  {
    id: 'kittens',
    source: 'pets.txt',
    lang: 'de',
    text: 'kittens are young cats',
    v: [0.6, 0.8, 0, 0],
  },
  {
    id: 'stocks',
    source: 'money.txt',
    lang: 'en',
    text: 'stocks fell as rates rose',
    v: [0, 0, 1, 0],
  },
  {
    id: 'bonds',
    source: 'money.txt',
    lang: 'en',
    text: 'bonds and cats rarely meet',
    v: [0, 0, 0.6, 0.8],
  },
];

async function fixture(): Promise<{ store: LuminaStore; datasetId: string; caches: SearchCaches }> {
  const store = await openTestStore();
  const dataset = await store.createDataset('explore');
  await store.addDocuments(
    dataset.id,
    'h',
    CORPUS.map((d) => ({ id: d.id, source: d.source, text: d.text, metadata: { lang: d.lang } })),
  );
  await store.putChunkBatch(
    dataset.id,
    CORPUS.map((d) => ({
      docId: d.id,
      chunks: [{ index: 0, text: d.text, charStart: 0, charEnd: d.text.length, tokenCount: 6 }],
    })),
  );
  const block = emptyEmbeddingBlock(dataset.id, 'set', 0, DIMS);
  CORPUS.forEach((d, row) => {
    block.vectors.set(d.v, row * DIMS);
    block.chunkIds.push(`${d.id}#0`);
    block.count++;
  });
  await store.putEmbeddingBlocks([block]);
  return {
    store,
    datasetId: dataset.id,
    caches: { vectors: new EmbeddingSetCache(store), lexical: new LexicalSetCache(store) },
  };
}

const ids = (list: { chunkId: string }[] | undefined): string[] =>
  (list ?? []).map((hit) => hit.chunkId);

describe('searchDataset', () => {
  it('ranks semantically by cosine, lexically by BM25, and fuses both', async () => {
    const { store, datasetId, caches } = await fixture();
    const query = { text: 'cats', vector: Float32Array.from([1, 0, 0, 0]) };
    const semantic = await searchDataset(store, caches, datasetId, [query], {
      mode: 'semantic',
      k: 3,
      setId: 'set',
    });
    expect(ids(semantic.hits[0])).toEqual(['cats#0', 'dogs#0', 'kittens#0']);
    expect(semantic.hits[0]?.[0]?.score).toBeCloseTo(1, 6);
    expect(semantic.hits[0]?.[0]?.chunk?.text).toBe(CORPUS[0]?.text);
    expect(semantic.hits[0]?.[0]?.document?.source).toBe('pets.txt');

    const lexical = await searchDataset(store, caches, datasetId, [query], {
      mode: 'lexical',
      k: 5,
    });
    // Three chunks hold "cats"; the shortest one ranks first (BM25 length normalisation).
    expect(new Set(ids(lexical.hits[0]))).toEqual(new Set(['cats#0', 'kittens#0', 'bonds#0']));
    expect(ids(lexical.hits[0])[0]).toBe('kittens#0');

    const hybrid = await searchDataset(store, caches, datasetId, [query], {
      mode: 'hybrid',
      k: 5,
      setId: 'set',
      fusion: { method: 'rrf' },
    });
    const top = hybrid.hits[0]?.[0];
    // cats#0 is 1st semantically and 3rd lexically; kittens#0 is 3rd and 1st: an RRF tie that
    // the semantic list, met first, breaks.
    expect(ids(lexical.hits[0])).toEqual(['kittens#0', 'bonds#0', 'cats#0']);
    expect(ids(hybrid.hits[0]).slice(0, 2)).toEqual(['cats#0', 'kittens#0']);
    expect(top?.semanticRank).toBe(1);
    expect(top?.lexicalRank).toBe(3);
    // A chunk only the semantic list holds still appears, with no lexical rank.
    const dogs = hybrid.hits[0]?.find((hit) => hit.chunkId === 'dogs#0');
    expect(dogs?.lexicalRank).toBeNull();
  });

  it('weighted fusion follows alpha from all-lexical to all-semantic', async () => {
    const { store, datasetId, caches } = await fixture();
    const query = { text: 'cats', vector: Float32Array.from([0, 0, 0.6, 0.8]) };
    const run = async (alpha: number) =>
      ids(
        (
          await searchDataset(store, caches, datasetId, [query], {
            mode: 'hybrid',
            k: 1,
            setId: 'set',
            fusion: { method: 'weighted', alpha },
          })
        ).hits[0],
      );
    expect(await run(1)).toEqual(['bonds#0']);
    expect(await run(0)).toEqual(['kittens#0']);
  });

  it('filters by source and metadata in every mode and excludes the given chunks', async () => {
    const { store, datasetId, caches } = await fixture();
    const query = { text: 'cats dogs', vector: Float32Array.from([1, 0, 0, 0]) };
    for (const mode of ['semantic', 'lexical', 'hybrid'] as const) {
      const result = await searchDataset(store, caches, datasetId, [query], {
        mode,
        k: 5,
        setId: 'set',
        where: { sources: ['pets.txt'], metadata: { lang: 'en' } },
        exclude: ['cats#0'],
      });
      const found = ids(result.hits[0]);
      expect(found.length).toBeGreaterThan(0);
      for (const id of found) expect(['dogs#0']).toContain(id);
    }
  });

  it('answers a batch of queries in one call, each with its own ranking', async () => {
    const { store, datasetId, caches } = await fixture();
    const result = await searchDataset(
      store,
      caches,
      datasetId,
      [
        { text: 'stocks', vector: Float32Array.from([0, 0, 1, 0]) },
        { text: 'kittens', vector: Float32Array.from([0.6, 0.8, 0, 0]) },
      ],
      { mode: 'semantic', k: 1, setId: 'set' },
    );
    expect(result.hits.map(ids)).toEqual([['stocks#0'], ['kittens#0']]);
    expect(result.backend).toMatch(/wasm|js/);
  });

  it('returns a stored chunk vector for "more like this", or null when absent', async () => {
    const { datasetId, caches } = await fixture();
    const vector = await storedChunkVector(caches, datasetId, 'set', 'stocks#0');
    expect(Array.from(vector ?? [])).toEqual([0, 0, 1, 0]);
    expect(await storedChunkVector(caches, datasetId, 'set', 'nope#0')).toBeNull();
  });

  it('rebuilds the keyword index after the dataset is re-chunked', async () => {
    const { store, datasetId, caches } = await fixture();
    const before = await searchDataset(store, caches, datasetId, [{ text: 'zebra' }], {
      mode: 'lexical',
      k: 5,
    });
    expect(before.hits[0]).toEqual([]);
    // Same chunk count as before: only the dataset's change time tells the cache.
    await new Promise((resolve) => setTimeout(resolve, 2));
    await store.putChunkBatch(datasetId, [
      {
        docId: 'stocks',
        chunks: [{ index: 1, text: 'a zebra', charStart: 0, charEnd: 7, tokenCount: 2 }],
      },
    ]);
    const after = await searchDataset(store, caches, datasetId, [{ text: 'zebra' }], {
      mode: 'lexical',
      k: 5,
    });
    expect(ids(after.hits[0])).toEqual(['stocks#1']);
  });
});
