import { describe, expect, it } from 'vitest';
import { askExtractive, retrieve, StoreRagSource } from '../../../src/core/rag/index.ts';
import { EmbeddingSetCache, LexicalSetCache } from '../../../src/core/search/index.ts';
import { emptyEmbeddingBlock } from '../../../src/core/store/index.ts';
import { whitespaceCounter } from '../../../src/core/tokenizer/index.ts';
import { openTestStore } from '../store/indexeddb-env.ts';

const DIMS = 2;
const GUIDE = 'Water plants in the morning. Roses need full sun. Prune roses in late winter.';
// Three chunks of one guide, one per sentence, plus an unrelated note.
const CHUNKS = [
  { doc: 'guide', index: 0, start: 0, end: 28, v: [1, 0] },
  { doc: 'guide', index: 1, start: 29, end: 49, v: [0.9, 0.1] },
  { doc: 'guide', index: 2, start: 50, end: GUIDE.length, v: [0.1, 1] },
];

async function source(withSet: boolean): Promise<StoreRagSource> {
  const store = await openTestStore();
  const dataset = await store.createDataset('garden');
  await store.addDocuments(dataset.id, 'h', [
    { id: 'guide', source: 'guide.md', text: GUIDE, metadata: { topic: 'garden' } },
    { id: 'note', source: 'note.md', text: 'Buy milk.', metadata: { topic: 'shopping' } },
  ]);
  await store.putChunkBatch(dataset.id, [
    {
      docId: 'guide',
      chunks: CHUNKS.map((c) => ({
        index: c.index,
        text: GUIDE.slice(c.start, c.end),
        charStart: c.start,
        charEnd: c.end,
        tokenCount: 5,
      })),
    },
    {
      docId: 'note',
      chunks: [{ index: 0, text: 'Buy milk.', charStart: 0, charEnd: 9, tokenCount: 2 }],
    },
  ]);
  const block = emptyEmbeddingBlock(dataset.id, 'set', 0, DIMS);
  [
    ...CHUNKS.map((c) => ({ id: `${c.doc}#${c.index}`, v: c.v })),
    { id: 'note#0', v: [-1, 0] },
  ].forEach((row, i) => {
    block.vectors.set(row.v, i * DIMS);
    block.chunkIds.push(row.id);
    block.count++;
  });
  await store.putEmbeddingBlocks([block]);
  const caches = { vectors: new EmbeddingSetCache(store), lexical: new LexicalSetCache(store) };
  return new StoreRagSource(store, caches, {
    datasetId: dataset.id,
    name: 'garden',
    ...(withSet ? { setId: 'set', dims: DIMS } : {}),
  });
}

describe('StoreRagSource', () => {
  it('retrieves from a stored dataset with BM25, dense, filters, MMR and neighbours', async () => {
    const garden = await source(true);
    const lexical = await retrieve(garden, 'prune roses', { mode: 'bm25', k: 1, neighbours: 1 });
    expect(lexical.passages.map((p) => [p.id, p.neighbourOf])).toEqual([
      ['guide#2', null],
      ['guide#1', 'guide#2'],
    ]);
    const dense = await retrieve(garden, 'x', {
      mode: 'hybrid',
      k: 2,
      queryVector: Float32Array.of(1, 0),
      where: { metadata: { topic: 'garden' } },
      mmr: { lambda: 0.5 },
    });
    expect(dense.mmrSimilarity).toBe('cosine');
    expect(dense.passages.every((p) => p.docId === 'guide')).toBe(true);
    expect(dense.evidence.semantic).toBeCloseTo(1, 5);
  });

  it('answers extractively, and uses term overlap for MMR without an embedding set', async () => {
    const garden = await source(false);
    const answer = await askExtractive(garden, 'When should I prune roses?', {
      mode: 'bm25',
      k: 2,
      counter: whitespaceCounter,
      mmr: { lambda: 0.7 },
    });
    expect(answer.abstained).toBe(false);
    expect(answer.text).toBe('Prune roses in late winter. [1]');
    expect(answer.citations).toEqual([
      // Both rose chunks were retrieved; consecutive, they merged into one source.
      expect.objectContaining({
        n: 1,
        docId: 'guide',
        chunkIds: ['guide#1', 'guide#2'],
        charStart: 29,
        charEnd: GUIDE.length,
      }),
    ]);
    await expect(
      retrieve(garden, 'x', { mode: 'dense', k: 1, queryVector: Float32Array.of(1, 0) }),
    ).rejects.toThrow(/no vectors/);
  });
});
