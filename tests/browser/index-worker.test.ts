import * as Comlink from 'comlink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../src/core/progress.ts';
import {
  chunkId,
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
  openStore,
  type EmbeddingBlockRecord,
} from '../../src/core/store/index.ts';
import { indexClient } from '../../src/lib/clients.ts';
import { mulberry32 as seededRandom } from '../../src/core/prepare/index.ts';
import { deleteStoredDatasets } from './store-helpers.ts';

const DIMS = 384;
const CHUNKS = 3000;
const CHUNKS_PER_DOC = 3;
const SET = 'test-set';

function unitVector(random: () => number): Float32Array {
  const v = new Float32Array(DIMS).map(() => random() * 2 - 1);
  const length = Math.hypot(...v);
  return v.map((x) => x / length);
}

/** The real index worker, as the app starts it, against the app's real IndexedDB. */
describe('index worker', () => {
  let datasetId = '';
  const texts = new Map<string, string>();
  const rows: { id: string; vector: Float32Array }[] = [];

  beforeAll(async () => {
    const random = seededRandom(42);
    const store = await openStore();
    const dataset = await store.createDataset(`index worker test ${crypto.randomUUID()}`);
    datasetId = dataset.id;
    const docCount = CHUNKS / CHUNKS_PER_DOC;
    const docs = Array.from({ length: docCount }, (_, d) => ({
      id: `doc-${d}`,
      source: `source-${d % 7}.txt`,
      text: `Document ${d}: ${'lorem ipsum '.repeat(3)}and ${d * 7} more words here.`,
      metadata: {},
    }));
    await store.addDocuments(datasetId, 'file-hash', docs);
    const entries = docs.map((doc) => {
      const size = Math.ceil(doc.text.length / CHUNKS_PER_DOC);
      const chunks = Array.from({ length: CHUNKS_PER_DOC }, (_, index) => {
        const charStart = index * size;
        const charEnd = Math.min(doc.text.length, charStart + size);
        return {
          index,
          text: doc.text.slice(charStart, charEnd),
          charStart,
          charEnd,
          tokenCount: 4,
        };
      });
      for (const c of chunks) texts.set(chunkId(doc.id, c.index), doc.text);
      return { docId: doc.id, chunks };
    });
    await store.putChunkBatch(datasetId, entries);
    const blocks: EmbeddingBlockRecord[] = [];
    entries
      .flatMap((e) => e.chunks.map((c) => chunkId(e.docId, c.index)))
      .forEach((id, i) => {
        const index = Math.floor(i / EMBEDDING_BLOCK_ROWS);
        const block = (blocks[index] ??= emptyEmbeddingBlock(datasetId, SET, index, DIMS));
        const vector = unitVector(random);
        block.vectors.set(vector, block.count * DIMS);
        block.chunkIds.push(id);
        block.count++;
        rows.push({ id, vector });
      });
    await store.putEmbeddingBlocks(blocks);
    store.close();
  });

  afterAll(async () => {
    indexClient.terminate();
    await deleteStoredDatasets(datasetId);
  });

  function bruteForce(query: Float32Array, k: number): { chunkId: string; score: number }[] {
    const qLength = Math.hypot(...query);
    return rows
      .map(({ id, vector }) => {
        let dot = 0;
        for (let j = 0; j < DIMS; j++) dot += (query[j] ?? 0) * (vector[j] ?? 0);
        return { chunkId: id, score: dot / qLength };
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }

  it('returns the brute-force top-k with chunk text, offsets and document joined', async () => {
    const random = seededRandom(7);
    const events: Progress[] = [];
    for (let q = 0; q < 4; q++) {
      // Not unit length: cosine must normalise the query.
      const query = unitVector(random).map((x) => x * 3);
      const k = q === 0 ? 25 : 10;
      const hits = await indexClient.call((api) =>
        api.search(
          datasetId,
          SET,
          query,
          k,
          undefined,
          {},
          Comlink.proxy((e: Progress) => events.push(e)),
        ),
      );
      const expected = bruteForce(query, k);
      expect(hits.map((h) => h.chunkId)).toEqual(expected.map((h) => h.chunkId));
      hits.forEach((hit, i) => {
        expect(hit.score).toBeCloseTo(expected[i]?.score ?? NaN, 5);
        const text = texts.get(hit.chunkId);
        expect(hit.chunk?.id).toBe(hit.chunkId);
        expect(text?.slice(hit.chunk?.charStart, hit.chunk?.charEnd)).toBe(hit.chunk?.text);
        expect(hit.document?.id).toBe(hit.chunk?.docId);
        expect(hit.document?.source).toMatch(/^source-\d\.txt$/);
      });
    }
    // The set was read from IndexedDB for the first query only.
    await expect.poll(() => events.at(-1)?.status).toBe('done');
    expect(events.filter((e) => e.status === 'start')).toHaveLength(1);
  });

  it('ranks by raw dot product, returns all rows when k exceeds them, and serves the document', async () => {
    const query = unitVector(seededRandom(9)).map((x) => x * 2);
    const dot = await indexClient.call((api) =>
      api.search(datasetId, SET, query, 5, undefined, { metric: 'dot' }),
    );
    const cosine = bruteForce(query, 5);
    expect(dot.map((h) => h.chunkId)).toEqual(cosine.map((h) => h.chunkId));
    dot.forEach((hit, i) => expect(hit.score).toBeCloseTo((cosine[i]?.score ?? NaN) * 2, 4));

    const all = await indexClient.call((api) => api.search(datasetId, SET, query, CHUNKS + 50));
    expect(all).toHaveLength(CHUNKS);
    expect(new Set(all.map((h) => h.chunkId)).size).toBe(CHUNKS);

    const docId = dot[0]?.chunk?.docId ?? '';
    const doc = await indexClient.call((api) => api.document(datasetId, docId));
    expect(doc?.text).toBe(texts.get(dot[0]?.chunkId ?? ''));
  });

  it('rejects a search aborted in the worker with an AbortError', async () => {
    const controller = new AbortController();
    controller.abort();
    // The signal goes to the worker only, so the rejection comes from the worker's own check.
    await expect(
      indexClient.call((api) =>
        api.search(datasetId, SET, new Float32Array(DIMS).fill(1), 3, controller.signal),
      ),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});
