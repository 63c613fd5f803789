import './indexeddb-env.ts';
import { IDBObjectStore } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
  StoreQuotaError,
  type DatasetRecord,
  type LuminaStore,
} from '../../../src/core/store/index.ts';
import { makeChunks, makeDocs, textBytes } from './fixtures.ts';
import { openTestStore } from './indexeddb-env.ts';

const FULL = 'this text does not fit';

type Put = (this: RawStore, value: unknown, key?: unknown) => unknown;
interface RawStore {
  transaction: object;
}
const prototype = IDBObjectStore.prototype as { put: Put };
const realPut = prototype.put;

function fills(value: unknown): boolean {
  return JSON.stringify(value, (_, v: unknown) =>
    v instanceof Float32Array ? 'vectors' : v,
  ).includes(FULL);
}

/**
 * Makes a put of a record that contains `FULL` fail with the quota, the two ways browsers report
 * it: thrown by the request, or as the error of the transaction, which aborts (then the pending
 * requests fail with a bare AbortError).
 */
function simulateQuota(how: 'throw' | 'abort'): void {
  prototype.put = function (this: RawStore, value, key) {
    if (!fills(value)) return realPut.call(this, value, key);
    if (how === 'throw')
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const request = realPut.call(this, value, key);
    // fake-indexeddb's own way of aborting with an error, as a failed commit does in Chromium.
    (this.transaction as { _abort(name: string): void })._abort('QuotaExceededError');
    return request;
  };
}

let store: LuminaStore;
let dataset: DatasetRecord;
beforeEach(async () => {
  store = await openTestStore();
  dataset = await store.createDataset('news');
});
afterEach(() => {
  prototype.put = realPut;
  store.close();
});

describe.each(['throw', 'abort'] as const)('quota exceeded (%s)', (how) => {
  it('saves nothing of the failed batch and keeps earlier documents and counters', async () => {
    const earlier = makeDocs(50, 'old');
    await store.addDocuments(dataset.id, 'h1', earlier);
    const before = await store.getDataset(dataset.id);

    simulateQuota(how);
    const batch = makeDocs(40, 'new').map((doc, i) => (i === 25 ? { ...doc, text: FULL } : doc));
    const failure = await store.addDocuments(dataset.id, 'h2', batch).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(StoreQuotaError);
    expect(failure).toMatchObject({ name: 'StoreQuotaError' });
    expect((failure as Error).message).toBe(
      "Browser storage is full while saving 40 documents to dataset 'news': nothing from this " +
        'batch was saved; free space by deleting datasets or models, or allow persistent storage',
    );
    expect((failure as Error).cause).toMatchObject({ name: 'QuotaExceededError' });

    expect(await store.getDataset(dataset.id)).toEqual(before);
    expect(before).toMatchObject({ documentCount: 50, bytes: textBytes(earlier) });
    expect(await store.countDocuments(dataset.id)).toBe(50);
    expect(
      await store.existingDocumentIds(
        dataset.id,
        batch.map((d) => d.id),
      ),
    ).toEqual(new Set());
    expect((await store.getDocument(dataset.id, 'old-00049'))?.text).toBe(earlier[49]?.text);

    // Once there is room again the same batch goes in whole.
    prototype.put = realPut;
    expect(await store.addDocuments(dataset.id, 'h2', batch)).toBe(40);
    expect((await store.getDataset(dataset.id))?.documentCount).toBe(90);
  });

  it('reports chunks and embedding blocks the same way', async () => {
    await store.addDocuments(dataset.id, 'h1', makeDocs(3));
    await store.replaceChunks(dataset.id, 'doc-00000', makeChunks('keep these chunks', 5));
    simulateQuota(how);

    const chunks = makeChunks(`${FULL} and more`, 25);
    await expect(store.replaceChunks(dataset.id, 'doc-00000', chunks)).rejects.toThrow(
      /full while saving 2 chunks to dataset 'news'/,
    );
    expect((await store.listChunks(dataset.id, 'doc-00000')).map((c) => c.text).join('')).toBe(
      'keep these chunks',
    );
    expect((await store.getDataset(dataset.id))?.chunkCount).toBe(4);

    const block = emptyEmbeddingBlock(dataset.id, 'set', 0, 2);
    block.count = 1;
    block.chunkIds = [FULL];
    await expect(store.putEmbeddingBlocks([block])).rejects.toBeInstanceOf(StoreQuotaError);
    expect(await store.listEmbeddingBlocks(dataset.id, 'set')).toEqual([]);
    expect(block.vectors.length).toBe(EMBEDDING_BLOCK_ROWS * 2);
  });
});
