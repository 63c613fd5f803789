import { describe, expect, it } from 'vitest';
import { EmbeddingSetCache, searchEmbeddingSet } from '../../../src/core/search/index.ts';
import {
  chunkId,
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
  type EmbeddingBlockRecord,
} from '../../../src/core/store/index.ts';
import type { Progress } from '../../../src/core/progress.ts';
import { openTestStore } from '../store/indexeddb-env.ts';

const DIMS = 8;

/** A fixed pseudo-random unit vector per row, so every row differs from the others. */
function vectorFor(i: number): number[] {
  const v = Array.from({ length: DIMS }, (_, j) => Math.sin(i * 12.9898 + j * 78.233) * 43758.5453);
  const noise = v.map((x) => x - Math.floor(x) - 0.5);
  const length = Math.hypot(...noise);
  return noise.map((x) => x / length);
}

function blocksFor(datasetId: string, ids: string[]): EmbeddingBlockRecord[] {
  const blocks: EmbeddingBlockRecord[] = [];
  ids.forEach((id, i) => {
    const blockIndex = Math.floor(i / EMBEDDING_BLOCK_ROWS);
    const block = (blocks[blockIndex] ??= emptyEmbeddingBlock(datasetId, 'set', blockIndex, DIMS));
    block.vectors.set(vectorFor(i), (i % EMBEDDING_BLOCK_ROWS) * DIMS);
    block.chunkIds.push(id);
    block.count++;
  });
  return blocks;
}

describe('searchEmbeddingSet', () => {
  it('joins hits with chunk text, offsets and source, and reloads when blocks are added', async () => {
    const store = await openTestStore();
    const dataset = await store.createDataset('search');
    const docs = Array.from({ length: 550 }, (_, d) => ({
      id: `d${d}`,
      source: `file-${d % 3}.txt`,
      text: `alpha beta gamma delta ${d} epsilon zeta eta theta`,
      metadata: {},
    }));
    await store.addDocuments(dataset.id, 'hash', docs);
    const entries = docs.map((doc) => ({
      docId: doc.id,
      chunks: [0, 1].map((index) => ({
        index,
        text: doc.text.slice(index * 12, index * 12 + 12),
        charStart: index * 12,
        charEnd: index * 12 + 12,
        tokenCount: 3,
      })),
    }));
    await store.putChunkBatch(dataset.id, entries);
    const ids = entries.flatMap((e) => e.chunks.map((c) => chunkId(e.docId, c.index)));
    // 1,100 chunks in two blocks; the first block is stored first, as an embedding job would.
    const all = blocksFor(dataset.id, ids);
    await store.putEmbeddingBlocks(all.slice(0, 1));

    const cache = new EmbeddingSetCache(store);
    const events: Progress[] = [];
    const query = Float32Array.from(vectorFor(3));
    const first = await searchEmbeddingSet(store, cache, dataset.id, 'set', query, 5, {
      onProgress: (e) => events.push(e),
    });
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
    expect(first).toHaveLength(5);
    for (const hit of first) {
      expect(hit.chunk?.id).toBe(hit.chunkId);
      const doc = docs.find((d) => d.id === hit.chunk?.docId);
      expect(hit.document).toEqual({ id: doc?.id, source: doc?.source });
      expect(doc?.text.slice(hit.chunk?.charStart, hit.chunk?.charEnd)).toBe(hit.chunk?.text);
    }
    expect(first[0]?.score).toBeCloseTo(1, 5);

    // Cached: a second search reads no blocks.
    events.length = 0;
    await searchEmbeddingSet(store, cache, dataset.id, 'set', query, 5, {
      onProgress: (e) => events.push(e),
    });
    expect(events).toEqual([]);

    // One more block: the cache notices, and the last row (in the new block) is found.
    await store.putEmbeddingBlocks(all.slice(1));
    const lastId = ids.at(-1) ?? '';
    const after = await searchEmbeddingSet(
      store,
      cache,
      dataset.id,
      'set',
      Float32Array.from(vectorFor(ids.length - 1)),
      3,
      { metric: 'dot' },
    );
    expect(after[0]?.chunkId).toBe(lastId);
    expect(after[0]?.chunk?.text).toBe(entries.at(-1)?.chunks[1]?.text);

    // A chunk deleted after embedding leaves its hit without text, never with wrong text.
    await store.deleteAllChunks(dataset.id);
    const stale = await searchEmbeddingSet(store, cache, dataset.id, 'set', query, 2);
    expect(stale.map((h) => h.chunk)).toEqual([null, null]);
    store.close();
  });

  it('does not cache a cancelled load', async () => {
    const store = await openTestStore();
    const dataset = await store.createDataset('cancel');
    await store.putEmbeddingBlocks(blocksFor(dataset.id, ['a#0', 'b#0']));
    const cache = new EmbeddingSetCache(store);
    const controller = new AbortController();
    controller.abort();
    await expect(
      cache.blocks(dataset.id, 'set', { signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const blocks = await cache.blocks(dataset.id, 'set');
    expect(blocks[0]?.chunkIds).toEqual(['a#0', 'b#0']);
    cache.invalidate(dataset.id);
    expect(await cache.blocks(dataset.id, 'set')).not.toBe(blocks);
    store.close();
  });
});
