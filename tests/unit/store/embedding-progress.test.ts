import './indexeddb-env.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  emptyEmbeddingBlock,
  type DatasetRecord,
  type JobRecord,
  type LuminaStore,
} from '../../../src/core/store/index.ts';
import { makeChunks, makeDocs } from './fixtures.ts';
import { openTestStore } from './indexeddb-env.ts';

let store: LuminaStore;
let dataset: DatasetRecord;
beforeEach(async () => {
  store = await openTestStore();
  dataset = await store.createDataset('progress');
});
afterEach(() => store.close());

function job(datasetId: string, rows: number): JobRecord {
  return {
    id: 'job-1',
    datasetId,
    kind: 'embed',
    state: 'running',
    cursor: { rows },
    createdAt: 1,
    updatedAt: 1,
  };
}

function block(datasetId: string, index: number, ids: string[]) {
  const record = emptyEmbeddingBlock(datasetId, 'set', index, 2);
  ids.forEach((id, row) => {
    record.vectors.set([row + 1, -(row + 1)], row * 2);
    record.chunkIds.push(id);
  });
  record.count = ids.length;
  return record;
}

describe('putEmbeddingProgress', () => {
  it('stores the blocks and the job together', async () => {
    const saved = await store.putEmbeddingProgress(
      [block(dataset.id, 0, ['a#0', 'b#0']), block(dataset.id, 1, ['c#0'])],
      job(dataset.id, 3),
    );
    expect(saved.updatedAt).toBeGreaterThan(1);
    expect(await store.getJob('job-1')).toEqual(saved);
    const stored = await store.listEmbeddingBlocks(dataset.id, 'set');
    expect(stored.map((b) => b.chunkIds)).toEqual([['a#0', 'b#0'], ['c#0']]);
    expect(Array.from(stored[0]?.vectors.subarray(0, 4) ?? [])).toEqual([1, -1, 2, -2]);
  });

  it('writes neither the blocks nor the job when one of them is refused', async () => {
    await store.putJob(job(dataset.id, 0));
    const bad = block(dataset.id, 1, ['c#0']);
    bad.count = 2; // two rows claimed, one chunk id given
    await expect(
      store.putEmbeddingProgress([block(dataset.id, 0, ['a#0']), bad], job(dataset.id, 3)),
    ).rejects.toThrow(/chunk ids/);
    await expect(
      store.putEmbeddingProgress([block('nope', 0, ['a#0'])], job('nope', 1)),
    ).rejects.toThrow();
    expect(await store.listEmbeddingBlocks(dataset.id, 'set')).toEqual([]);
    expect(await store.listEmbeddingBlocks('nope', 'set')).toEqual([]);
    expect((await store.getJob('job-1'))?.cursor).toEqual({ rows: 0 });
    expect(await store.getJob('nope')).toBeUndefined();
  });

  it('refuses blocks of another dataset than the job', async () => {
    await expect(
      store.putEmbeddingProgress([block('other', 0, ['a#0'])], job(dataset.id, 1)),
    ).rejects.toThrow(/dataset/);
  });
});

describe('listChunksAfter', () => {
  it('pages through the chunks in id order from a saved position', async () => {
    await store.addDocuments(dataset.id, 'h', makeDocs(3));
    await store.putChunkBatch(
      dataset.id,
      makeDocs(3).map((doc) => ({ docId: doc.id, chunks: makeChunks(doc.text, 4) })),
    );
    const all: string[] = [];
    for await (const page of store.iterateChunks(dataset.id)) all.push(...page.map((c) => c.id));
    const paged: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.listChunksAfter(dataset.id, after, 4);
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(4);
      paged.push(...page.map((c) => c.id));
      after = page.at(-1)?.id;
    }
    expect(paged).toEqual(all);
    expect(all.length).toBeGreaterThan(8);
    await expect(store.listChunksAfter(dataset.id, undefined, 0)).rejects.toThrow(RangeError);
  });
});
