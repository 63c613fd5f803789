import './indexeddb-env.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EMBEDDING_BLOCK_ROWS, type LuminaStore } from '../../../src/core/store/index.ts';
import { makeChunks, makeDocs } from './fixtures.ts';
import { openTestStore } from './indexeddb-env.ts';

let store: LuminaStore;
beforeEach(async () => {
  store = await openTestStore();
});
afterEach(() => {
  vi.restoreAllMocks();
  store.close();
});

/** Fills a dataset with one of everything that belongs to a dataset. */
async function fill(datasetId: string): Promise<void> {
  await store.putFile({
    datasetId,
    hash: 'h1',
    name: 'a.jsonl',
    path: 'a.jsonl',
    bytes: 10,
    format: 'jsonl',
    documents: 3,
    messages: [],
    addedAt: 1,
  });
  const docs = makeDocs(3);
  await store.addDocuments(datasetId, 'h1', docs);
  await store.replaceChunks(datasetId, 'doc-00000', makeChunks('text number 0', 4));
  await store.putEmbeddingBlocks([
    {
      datasetId,
      setId: 'set',
      blockIndex: 0,
      dims: 2,
      count: 1,
      vectors: new Float32Array(EMBEDDING_BLOCK_ROWS * 2),
      chunkIds: ['doc-00000#0'],
    },
  ]);
  await store.putJob({
    id: `job-${datasetId}`,
    datasetId,
    kind: 'embed',
    state: 'running',
    cursor: { block: 1 },
    createdAt: 1,
    updatedAt: 1,
  });
  await store.enqueueOutbox(datasetId, [{ vectorId: 'doc-00000#0', op: 'upsert' }]);
  await store.putConversation({
    id: `conversation-${datasetId}`,
    datasetId,
    title: 'Questions',
    createdAt: 1,
    updatedAt: 1,
    turns: [],
  });
}

async function contents(datasetId: string) {
  return {
    dataset: await store.getDataset(datasetId),
    files: (await store.listFiles(datasetId)).length,
    documents: await store.countDocuments(datasetId),
    chunks: (await store.listChunks(datasetId, 'doc-00000')).length,
    blocks: (await store.listEmbeddingBlocks(datasetId, 'set')).length,
    jobs: (await store.listJobs(datasetId)).length,
    outbox: (await store.listOutbox(datasetId)).length,
    conversations: (await store.listConversations(datasetId)).length,
  };
}

describe('datasets', () => {
  it('creates, lists, renames and sets settings', async () => {
    let clock = 1_000;
    vi.spyOn(Date, 'now').mockImplementation(() => clock++);
    const first = await store.createDataset('  First ');
    const second = await store.createDataset('Second', { tokenizer: 'bert' });
    expect(first).toMatchObject({ name: 'First', documentCount: 0, chunkCount: 0, bytes: 0 });
    expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await store.listDatasets()).map((d) => d.name)).toEqual(['First', 'Second']);
    expect(await store.getDataset(second.id)).toEqual(second);

    const renamed = await store.renameDataset(first.id, 'Renamed');
    expect(renamed.name).toBe('Renamed');
    expect((await store.getDataset(first.id))?.name).toBe('Renamed');

    const chunked = await store.updateDatasetChunking(first.id, {
      maxTokens: 128,
      overlap: 16,
      tokenizer: 'wordpiece',
    });
    expect(chunked.chunking).toEqual({ maxTokens: 128, overlap: 16 });
    expect(chunked.tokenizer).toBe('wordpiece');
    expect(await store.getDataset(first.id)).toEqual(chunked);
  });

  it('refuses empty names and unknown ids', async () => {
    await expect(store.createDataset('   ')).rejects.toThrow('needs a name');
    await expect(store.renameDataset('nope', 'x')).rejects.toMatchObject({
      name: 'StoreNotFoundError',
    });
    await expect(store.addDocuments('nope', 'h', makeDocs(1))).rejects.toThrow('does not exist');
  });

  it('deletes a dataset with everything it owns and leaves other datasets alone', async () => {
    const doomed = await store.createDataset('doomed');
    const kept = await store.createDataset('kept');
    await fill(doomed.id);
    await fill(kept.id);
    const keptBefore = await contents(kept.id);
    expect(await contents(doomed.id)).toMatchObject({
      files: 1,
      documents: 3,
      chunks: 4,
      blocks: 1,
      jobs: 1,
      outbox: 1,
      conversations: 1,
    });

    expect(await store.deleteDataset(doomed.id)).toBe(true);

    expect(await contents(doomed.id)).toEqual({
      dataset: undefined,
      files: 0,
      documents: 0,
      chunks: 0,
      blocks: 0,
      jobs: 0,
      outbox: 0,
      conversations: 0,
    });
    expect(await contents(kept.id)).toEqual(keptBefore);
    expect(await store.deleteDataset(doomed.id)).toBe(false);
  });
});
