import './indexeddb-env.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
  type DatasetRecord,
  type LuminaStore,
} from '../../../src/core/store/index.ts';
import { makeChunks, makeDocs } from './fixtures.ts';
import { openTestStore } from './indexeddb-env.ts';

let store: LuminaStore;
let dataset: DatasetRecord;
beforeEach(async () => {
  store = await openTestStore();
  dataset = await store.createDataset('chunks');
  await store.addDocuments(dataset.id, 'h', makeDocs(12));
});
afterEach(() => store.close());

const chunkCount = async () => (await store.getDataset(dataset.id))?.chunkCount;

describe('chunks', () => {
  it('replaces a document’s chunks and keeps chunkCount exact', async () => {
    const text = 'abcdefghijklmnopqrstuvwxyz';
    expect(await store.replaceChunks(dataset.id, 'doc-00001', makeChunks(text, 3))).toBe(9);
    expect(await chunkCount()).toBe(9);
    const stored = await store.listChunks(dataset.id, 'doc-00001');
    expect(stored.map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(stored[2]).toEqual({
      datasetId: dataset.id,
      id: 'doc-00001#2',
      docId: 'doc-00001',
      index: 2,
      text: 'ghi',
      charStart: 6,
      charEnd: 9,
      tokenCount: 1,
    });
    for (const chunk of stored) expect(text.slice(chunk.charStart, chunk.charEnd)).toBe(chunk.text);

    // Fewer, longer chunks replace the old ones: none of the old keys may linger.
    expect(await store.replaceChunks(dataset.id, 'doc-00001', makeChunks(text, 10))).toBe(3);
    expect(await chunkCount()).toBe(3);
    expect((await store.listChunks(dataset.id, 'doc-00001')).map((c) => c.text)).toEqual([
      'abcdefghij',
      'klmnopqrst',
      'uvwxyz',
    ]);
  });

  it('writes a batch for many documents in one go and iterates all chunks', async () => {
    const docs = makeDocs(12);
    const entries = docs.map((doc) => ({ docId: doc.id, chunks: makeChunks(doc.text, 4) }));
    const total = entries.reduce((sum, e) => sum + e.chunks.length, 0);
    expect(await store.putChunkBatch(dataset.id, entries)).toBe(total);
    expect(await store.putChunkBatch(dataset.id, entries)).toBe(total);
    expect(await chunkCount()).toBe(total);

    const seen: string[] = [];
    for await (const batch of store.iterateChunks(dataset.id, 7))
      seen.push(...batch.map((c) => c.id));
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);

    await store.deleteAllChunks(dataset.id);
    expect(await chunkCount()).toBe(0);
    expect(await store.listChunks(dataset.id, 'doc-00000')).toEqual([]);
  });

  it('refuses a batch that names a document twice, and writes nothing of it', async () => {
    const chunks = makeChunks('hello world', 5);
    await expect(
      store.putChunkBatch(dataset.id, [
        { docId: 'doc-00000', chunks },
        { docId: 'doc-00000', chunks },
      ]),
    ).rejects.toThrow('appears twice');
    expect(await chunkCount()).toBe(0);
    expect(await store.listChunks(dataset.id, 'doc-00000')).toEqual([]);
  });
});

describe('embedding blocks', () => {
  function filledBlock(blockIndex: number, dims: number, count: number) {
    const block = emptyEmbeddingBlock(dataset.id, 'minilm', blockIndex, dims);
    for (let i = 0; i < count * dims; i++) block.vectors[i] = Math.fround(Math.sin(i + blockIndex));
    block.count = count;
    block.chunkIds = Array.from({ length: count }, (_, i) => `doc-${i}#0`);
    return block;
  }

  it('round-trips vectors bit for bit', async () => {
    const block = filledBlock(0, 8, 5);
    block.vectors[1] = -0;
    block.vectors[2] = Number.NaN;
    block.vectors[3] = 1e-42; // subnormal
    await store.putEmbeddingBlocks([block]);
    const back = await store.getEmbeddingBlock(dataset.id, 'minilm', 0);
    expect(back?.vectors).toBeInstanceOf(Float32Array);
    expect(back?.vectors.length).toBe(EMBEDDING_BLOCK_ROWS * 8);
    expect(new Uint8Array(back?.vectors.buffer ?? new ArrayBuffer(0))).toEqual(
      new Uint8Array(block.vectors.buffer),
    );
    expect(back?.chunkIds).toEqual(block.chunkIds);
    expect(back?.count).toBe(5);
  });

  it('stores a view into a larger buffer as just that view', async () => {
    const dims = 4;
    const big = new Float32Array(EMBEDDING_BLOCK_ROWS * dims * 3).map((_, i) => i);
    const view = big.subarray(EMBEDDING_BLOCK_ROWS * dims, EMBEDDING_BLOCK_ROWS * dims * 2);
    await store.putEmbeddingBlocks([
      { ...emptyEmbeddingBlock(dataset.id, 's', 0, dims), vectors: view },
    ]);
    const back = await store.getEmbeddingBlock(dataset.id, 's', 0);
    expect(back?.vectors.buffer.byteLength).toBe(EMBEDDING_BLOCK_ROWS * dims * 4);
    expect(back?.vectors[0]).toBe(EMBEDDING_BLOCK_ROWS * dims);
  });

  it('lists and iterates blocks by set in block order, and deletes one set', async () => {
    await store.putEmbeddingBlocks([2, 0, 1].map((i) => filledBlock(i, 4, 3)));
    await store.putEmbeddingBlocks([{ ...filledBlock(0, 4, 3), setId: 'other' }]);
    expect(
      (await store.listEmbeddingBlocks(dataset.id, 'minilm')).map((b) => b.blockIndex),
    ).toEqual([0, 1, 2]);
    const pages: number[][] = [];
    for await (const page of store.iterateEmbeddingBlocks(dataset.id, 'minilm', 2)) {
      pages.push(page.map((b) => b.blockIndex));
    }
    expect(pages).toEqual([[0, 1], [2]]);
    expect((await store.listEmbeddingSetIds(dataset.id)).sort()).toEqual(['minilm', 'other']);

    await store.deleteEmbeddingSet(dataset.id, 'minilm');
    expect(await store.listEmbeddingBlocks(dataset.id, 'minilm')).toEqual([]);
    expect(await store.listEmbeddingBlocks(dataset.id, 'other')).toHaveLength(1);
  });

  it('rejects blocks of the wrong shape', async () => {
    const wrongSize = { ...filledBlock(0, 4, 1), vectors: new Float32Array(10) };
    await expect(store.putEmbeddingBlocks([wrongSize])).rejects.toThrow('expected 1024 × 4');
    const wrongIds = { ...filledBlock(0, 4, 2), chunkIds: ['only-one'] };
    await expect(store.putEmbeddingBlocks([wrongIds])).rejects.toThrow('2 rows but 1 chunk ids');
    expect(await store.listEmbeddingBlocks(dataset.id, 'minilm')).toEqual([]);
  });
});
