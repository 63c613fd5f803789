import './indexeddb-env.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetRecord, LuminaStore } from '../../../src/core/store/index.ts';
import { makeChunks, makeDocs, textBytes } from './fixtures.ts';
import { openTestStore } from './indexeddb-env.ts';

let store: LuminaStore;
let dataset: DatasetRecord;
beforeEach(async () => {
  store = await openTestStore();
  dataset = await store.createDataset('docs');
});
afterEach(() => store.close());

async function counters() {
  const current = await store.getDataset(dataset.id);
  return {
    documentCount: current?.documentCount,
    chunkCount: current?.chunkCount,
    bytes: current?.bytes,
  };
}

describe('documents', () => {
  it('stores documents and moves the counters with them', async () => {
    const docs = makeDocs(20);
    expect(await store.addDocuments(dataset.id, 'h1', docs)).toBe(20);
    expect(await counters()).toEqual({ documentCount: 20, chunkCount: 0, bytes: textBytes(docs) });
    expect(await store.countDocuments(dataset.id)).toBe(20);
    expect(await store.getDocument(dataset.id, 'doc-00003')).toEqual({
      datasetId: dataset.id,
      id: 'doc-00003',
      source: 'data.jsonl',
      text: 'text number 3',
      metadata: { n: 3 },
      charCount: 13,
      fileHash: 'h1',
    });
  });

  it('skips ids the dataset already has and ids repeated in the batch', async () => {
    await store.addDocuments(dataset.id, 'h1', makeDocs(5));
    const again = [...makeDocs(3, 'doc', 3), ...makeDocs(1, 'new'), ...makeDocs(1, 'new')];
    // doc-00003 and doc-00004 exist; doc-00005 and one new-00000 are written.
    expect(await store.addDocuments(dataset.id, 'h2', again)).toBe(2);
    expect(await store.countDocuments(dataset.id)).toBe(7);
    expect((await counters()).documentCount).toBe(7);
    // The first copy of a repeated id stays as it was.
    expect((await store.getDocument(dataset.id, 'doc-00004'))?.fileHash).toBe('h1');
    const existing = await store.existingDocumentIds(dataset.id, ['doc-00000', 'new-00000', 'x']);
    expect([...existing].sort()).toEqual(['doc-00000', 'new-00000']);
  });

  it('keeps datasets apart', async () => {
    const other = await store.createDataset('other');
    await store.addDocuments(dataset.id, 'h', makeDocs(4));
    await store.addDocuments(other.id, 'h', makeDocs(2));
    expect(await store.countDocuments(dataset.id)).toBe(4);
    expect(await store.countDocuments(other.id)).toBe(2);
    expect(await store.existingDocumentIds(other.id, ['doc-00003'])).toEqual(new Set());
  });

  it('lists a page at an offset, in id order', async () => {
    await store.addDocuments(dataset.id, 'h', makeDocs(25));
    const page = await store.listDocuments(dataset.id, { offset: 10, limit: 5 });
    expect(page.map((d) => d.id)).toEqual(makeDocs(5, 'doc', 10).map((d) => d.id));
    expect(await store.listDocuments(dataset.id, { offset: 24, limit: 5 })).toHaveLength(1);
    expect(await store.listDocuments(dataset.id, { offset: 30, limit: 5 })).toEqual([]);
  });

  it('iterates in batches that each stand alone, even with slow work between them', async () => {
    const docs = makeDocs(23);
    await store.addDocuments(dataset.id, 'h', docs);
    const sizes: number[] = [];
    const ids: string[] = [];
    for await (const batch of store.iterateDocuments(dataset.id, 5)) {
      sizes.push(batch.length);
      ids.push(...batch.map((d) => d.id));
      // A transaction held across this would have committed: the next read must still work.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(sizes).toEqual([5, 5, 5, 5, 3]);
    expect(ids).toEqual(docs.map((d) => d.id));
  });

  it('stops iterating when aborted', async () => {
    await store.addDocuments(dataset.id, 'h', makeDocs(10));
    const controller = new AbortController();
    const seen: number[] = [];
    await expect(async () => {
      for await (const batch of store.iterateDocuments(dataset.id, 3, controller.signal)) {
        seen.push(batch.length);
        controller.abort();
      }
    }).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual([3]);
  });

  it('rolls back one file: its documents, their chunks and the counters', async () => {
    const kept = makeDocs(4, 'keep');
    const dropped = makeDocs(6, 'drop');
    await store.addDocuments(dataset.id, 'keep-hash', kept);
    await store.addDocuments(dataset.id, 'drop-hash', dropped);
    await store.replaceChunks(dataset.id, 'keep-00000', makeChunks('text number 0', 5));
    await store.replaceChunks(dataset.id, 'drop-00000', makeChunks('text number 0', 5));
    const before = await counters();
    expect(before).toEqual({
      documentCount: 10,
      chunkCount: 6,
      bytes: textBytes([...kept, ...dropped]),
    });

    expect(await store.deleteFileDocuments(dataset.id, 'drop-hash')).toBe(6);

    expect(await counters()).toEqual({ documentCount: 4, chunkCount: 3, bytes: textBytes(kept) });
    expect(
      await store.existingDocumentIds(
        dataset.id,
        dropped.map((d) => d.id),
      ),
    ).toEqual(new Set());
    expect(await store.listChunks(dataset.id, 'drop-00000')).toEqual([]);
    expect(await store.listChunks(dataset.id, 'keep-00000')).toHaveLength(3);
    expect(await store.deleteFileDocuments(dataset.id, 'drop-hash')).toBe(0);
  });
});

describe('files', () => {
  const file = (hash: string) => ({
    datasetId: '',
    hash,
    name: `${hash}.csv`,
    path: `dir/${hash}.csv`,
    bytes: 100,
    format: 'csv' as const,
    documents: 2,
    messages: [
      { file: `dir/${hash}.csv`, level: 'warning' as const, message: 'row 3 empty', line: 3 },
    ],
    addedAt: 5,
  });

  it('finds a re-added identical file by hash', async () => {
    const record = { ...file('abc'), datasetId: dataset.id };
    await store.putFile(record);
    expect(await store.findFile(dataset.id, 'abc')).toEqual(record);
    expect(await store.findFile(dataset.id, 'other')).toBeUndefined();
    const elsewhere = await store.createDataset('elsewhere');
    expect(await store.findFile(elsewhere.id, 'abc')).toBeUndefined();
  });

  it('lists a dataset’s files and deletes one with its documents', async () => {
    await store.putFile({ ...file('a'), datasetId: dataset.id });
    await store.putFile({ ...file('b'), datasetId: dataset.id });
    await store.addDocuments(dataset.id, 'a', makeDocs(2, 'a'));
    await store.addDocuments(dataset.id, 'b', makeDocs(2, 'b'));
    expect((await store.listFiles(dataset.id)).map((f) => f.hash)).toEqual(['a', 'b']);

    expect(await store.deleteFile(dataset.id, 'a')).toBe(2);
    expect((await store.listFiles(dataset.id)).map((f) => f.hash)).toEqual(['b']);
    expect(await store.countDocuments(dataset.id)).toBe(2);
    expect((await counters()).documentCount).toBe(2);
  });

  it('refuses a file for a dataset that does not exist', async () => {
    await expect(store.putFile({ ...file('a'), datasetId: 'missing' })).rejects.toThrow(
      'does not exist',
    );
  });
});
