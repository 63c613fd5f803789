import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachWebGpu, searchBlocksBatch, VectorIndex } from '../../src/core/search/index.ts';
import {
  chunkId,
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
  openStore,
  type EmbeddingBlockRecord,
} from '../../src/core/store/index.ts';
import { indexClient } from '../../src/lib/clients.ts';
import { mulberry32 as seededRandom } from '../../src/core/prepare/index.ts';
import { vectorBlocks } from '../support/vector-blocks.ts';
import { deleteStoredDatasets } from './store-helpers.ts';

function randomRows(
  n: number,
  dims: number,
  random: () => number,
  integers: boolean,
): Float32Array[] {
  return Array.from({ length: n }, () =>
    Float32Array.from({ length: dims }, () =>
      integers ? Math.floor(random() * 7) - 3 : random() * 2 - 1,
    ),
  );
}

describe('WebGPU search kernel (SwiftShader here)', () => {
  it('equals the exact JS search, sharded over several GPU buffers, for batches and masks', async () => {
    const random = seededRandom(12);
    const dims = 37;
    // Integer vectors: float32 dot products are exact, so GPU and CPU must agree bit for bit.
    const rows = randomRows(2500, dims, random, true);
    const index = await VectorIndex.build(vectorBlocks(rows, dims));
    const info = await attachWebGpu(index, { maxShardBytes: 600 * 48 * 4 });
    expect(info.shards).toBeGreaterThanOrEqual(3);
    expect(info.maxStorageBufferBindingSize).toBeGreaterThan(128 * 2 ** 20);
    const queries = randomRows(19, dims, random, true);
    const gpu = await index.searchBatch(queries, 12, { metric: 'dot', backend: 'webgpu' });
    expect(gpu.backend).toBe('webgpu');
    const js = await searchBlocksBatch(vectorBlocks(rows, dims), queries, 12, { metric: 'dot' });
    expect(gpu.hits).toEqual(js);

    const mask = Uint8Array.from(rows, (_, i) => (i % 3 === 0 ? 1 : 0));
    const masked = await index.searchBatch(queries.slice(0, 3), 5, {
      metric: 'dot',
      backend: 'webgpu',
      mask,
    });
    const expected = await searchBlocksBatch(vectorBlocks(rows, dims), queries.slice(0, 3), 5, {
      metric: 'dot',
      filter: (id) => Number(id.slice(1)) % 3 === 0,
    });
    expect(masked.hits).toEqual(expected);
    index.destroy();
  });

  it('ranks by cosine like the WASM path on real-valued 384-dim vectors', async () => {
    const random = seededRandom(3);
    const dims = 384;
    const rows = randomRows(3000, dims, random, false);
    const index = await VectorIndex.build(vectorBlocks(rows, dims));
    await attachWebGpu(index);
    const queries = randomRows(4, dims, random, false);
    const gpu = await index.searchBatch(queries, 10, { backend: 'webgpu' });
    const wasm = await index.searchBatch(queries, 10, { backend: 'wasm' });
    expect(wasm.backend).toBe('wasm');
    gpu.hits.forEach((hits, q) => {
      expect(hits.map((h) => h.chunkId)).toEqual(wasm.hits[q]?.map((h) => h.chunkId));
      hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(wasm.hits[q]?.[i]?.score ?? NaN, 5));
    });
    index.destroy();
  });
});

describe('index worker backends and filters', () => {
  const DIMS = 32;
  const SET = 'backend-set';
  let datasetId = '';
  const vectors: Float32Array[] = [];
  const ids: string[] = [];

  beforeAll(async () => {
    const random = seededRandom(8);
    const store = await openStore();
    datasetId = (await store.createDataset(`search backends ${crypto.randomUUID()}`)).id;
    const docs = Array.from({ length: 400 }, (_, d) => ({
      id: `doc-${d}`,
      source: `source-${d % 5}.txt`,
      text: `Document ${d} has some words.`,
      metadata: { team: d % 2 === 0 ? 'red' : 'blue' },
    }));
    await store.addDocuments(datasetId, 'hash', docs);
    const entries = docs.map((doc) => ({
      docId: doc.id,
      chunks: [0, 1].map((index) => ({
        index,
        text: doc.text,
        charStart: 0,
        charEnd: doc.text.length,
        tokenCount: 5,
      })),
    }));
    await store.putChunkBatch(datasetId, entries);
    const blocks: EmbeddingBlockRecord[] = [];
    for (const entry of entries) {
      for (const chunk of entry.chunks) {
        const i = ids.length;
        const block = (blocks[Math.floor(i / EMBEDDING_BLOCK_ROWS)] ??= emptyEmbeddingBlock(
          datasetId,
          SET,
          Math.floor(i / EMBEDDING_BLOCK_ROWS),
          DIMS,
        ));
        const vector = Float32Array.from({ length: DIMS }, () => random() * 2 - 1);
        block.vectors.set(vector, block.count * DIMS);
        block.chunkIds.push(chunkId(entry.docId, chunk.index));
        block.count++;
        ids.push(chunkId(entry.docId, chunk.index));
        vectors.push(vector);
      }
    }
    await store.putEmbeddingBlocks(blocks);
    store.close();
  });

  afterAll(async () => {
    indexClient.terminate();
    await deleteStoredDatasets(datasetId);
  });

  it('says which backend ran, honours source and metadata filters, and agrees across backends', async () => {
    const query = Float32Array.from({ length: DIMS }, (_, j) => Math.cos(j));
    const where = { sources: ['source-1.txt', 'source-3.txt'], metadata: { team: 'blue' } };
    const results = [];
    for (const backend of ['auto', 'js', 'webgpu'] as const) {
      const result = await indexClient.call((api) =>
        api.searchDetailed(datasetId, SET, query, 8, undefined, { backend, where, metric: 'dot' }),
      );
      expect(result.backend).toBe(backend === 'auto' ? 'wasm' : backend);
      expect(result.rows).toBe(ids.length);
      for (const hit of result.hits) {
        expect(['source-1.txt', 'source-3.txt']).toContain(hit.document?.source);
        expect(Number(hit.chunk?.docId.slice(4)) % 2).toBe(1);
      }
      results.push(result.hits);
    }
    const expected = ids
      .map((id, i) => ({
        id,
        score: (vectors[i] ?? new Float32Array(DIMS)).reduce(
          (s, v, j) => s + v * (query[j] ?? 0),
          0,
        ),
      }))
      .filter(({ id }) => {
        const d = Number(id.slice(4, id.indexOf('#')));
        return (d % 5 === 1 || d % 5 === 3) && d % 2 === 1;
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, 8);
    for (const hits of results) {
      expect(hits.map((h) => h.chunkId)).toEqual(expected.map((e) => e.id));
      hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]?.score ?? NaN, 4));
    }
  });
});
