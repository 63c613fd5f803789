import { describe, expect, it } from 'vitest';
import {
  ingestIntoDataset,
  ingestPastedText,
  recoverInterruptedIngests,
} from '../../../src/core/pipeline/ingest-dataset.ts';
import type { Progress } from '../../../src/core/progress.ts';
import { StoreQuotaError, type LuminaStore } from '../../../src/core/store/index.ts';
import { openTestStore } from '../store/indexeddb-env.ts';

const input = (path: string, text: string | Uint8Array) => ({
  name: path.split('/').at(-1) ?? path,
  path,
  blob: new Blob([text]),
});

const jsonl = (rows: Array<Record<string, string>>) =>
  rows.map((r) => JSON.stringify(r)).join('\n');

async function setup(): Promise<{ store: LuminaStore; datasetId: string }> {
  const store = await openTestStore();
  const dataset = await store.createDataset('test');
  return { store, datasetId: dataset.id };
}

describe('ingestIntoDataset', () => {
  it('stores good files, reports bad ones per file, and carries on', async () => {
    const { store, datasetId } = await setup();
    const events: Progress[] = [];
    const result = await ingestIntoDataset(
      store,
      datasetId,
      [
        input('a/notes.txt', 'hello world'),
        input('a/empty.txt', ''),
        input('a/photo.png', new Uint8Array([137, 80, 78, 71])),
        input(
          'a/rows.jsonl',
          `${jsonl([{ id: 'r1', text: 'one' }])}\n{bad json\n${jsonl([{ id: 'r2', text: 'two' }])}`,
        ),
      ],
      {},
      { onProgress: (e) => events.push(e) },
    );
    expect(result.files.map((f) => [f.file, f.status, f.documents])).toEqual([
      ['a/notes.txt', 'added', 1],
      ['a/empty.txt', 'failed', 0],
      ['a/photo.png', 'failed', 0],
      ['a/rows.jsonl', 'added', 2],
    ]);
    const bad = result.files[3]?.messages.find((m) => m.level === 'error');
    expect(bad).toMatchObject({ file: 'a/rows.jsonl', line: 2 });
    expect(result.files[2]?.messages[0]?.message).toMatch(/unsupported/i);
    expect(await store.countDocuments(datasetId)).toBe(3);
    expect((await store.getDataset(datasetId))?.documentCount).toBe(3);
    const fractions = events.map((e) => e.fraction);
    expect(fractions).toEqual([...fractions].sort((x, y) => x - y));
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
  });

  it('skips a re-added identical file, whatever its name', async () => {
    const { store, datasetId } = await setup();
    const text = jsonl([{ _id: 'x', text: 'same' }]);
    await ingestIntoDataset(store, datasetId, [input('first.jsonl', text)], {});
    const again = await ingestIntoDataset(store, datasetId, [input('copy.jsonl', text)], {});
    expect(again.files[0]?.status).toBe('duplicate');
    expect(again.files[0]?.messages[0]?.message).toContain('first.jsonl');
    expect(await store.countDocuments(datasetId)).toBe(1);
  });

  it('keeps the user ids, and renames a clashing id from another file instead of replacing it', async () => {
    const { store, datasetId } = await setup();
    await ingestIntoDataset(
      store,
      datasetId,
      [input('a.jsonl', jsonl([{ id: '7', text: 'from a' }]))],
      {},
    );
    const result = await ingestIntoDataset(
      store,
      datasetId,
      [input('b.jsonl', jsonl([{ id: '7', text: 'from b' }]))],
      {},
    );
    expect((await store.getDocument(datasetId, '7'))?.text).toBe('from a');
    expect((await store.getDocument(datasetId, 'b.jsonl::7'))?.text).toBe('from b');
    expect(
      result.files[0]?.messages.some((m) => m.field === 'id' && m.message.includes('"7"')),
    ).toBe(true);
  });

  it('rolls back a file that fails midway and keeps what was stored before', async () => {
    const { store, datasetId } = await setup();
    await ingestIntoDataset(store, datasetId, [input('keep.txt', 'kept text')], {});
    const before = await store.getDataset(datasetId);
    const rows = Array.from({ length: 1200 }, (_, i) => ({ id: `d${i}`, text: `text ${i}` }));
    let calls = 0;
    const original = store.addDocuments.bind(store);
    store.addDocuments = async (id, hash, docs) => {
      calls += 1;
      if (calls === 2) {
        throw new StoreQuotaError('Browser storage is full (simulated).', {
          cause: new DOMException('full', 'QuotaExceededError'),
        });
      }
      return original(id, hash, docs);
    };
    const result = await ingestIntoDataset(
      store,
      datasetId,
      [input('big.jsonl', jsonl(rows)), input('small.txt', 'after')],
      {},
    );
    expect(result.files[0]).toMatchObject({ status: 'failed', documents: 0 });
    expect(result.files[0]?.messages[0]?.message).toMatch(/storage is full/);
    expect(result.files[1]).toMatchObject({ status: 'added', documents: 1 });
    expect(await store.getDocument(datasetId, 'keep.txt')).toBeDefined();
    expect(await store.getDocument(datasetId, 'd0')).toBeUndefined();
    const after = await store.getDataset(datasetId);
    expect(after?.documentCount).toBe((before?.documentCount ?? 0) + 1);
  });

  it('stops on abort and leaves no half file behind', async () => {
    const { store, datasetId } = await setup();
    const controller = new AbortController();
    const rows = Array.from({ length: 3000 }, (_, i) => ({ id: `d${i}`, text: `text ${i}` }));
    const original = store.addDocuments.bind(store);
    store.addDocuments = async (id, hash, docs) => {
      const n = await original(id, hash, docs);
      controller.abort();
      return n;
    };
    await expect(
      ingestIntoDataset(
        store,
        datasetId,
        [input('big.jsonl', jsonl(rows))],
        {},
        { signal: controller.signal },
      ),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(await store.countDocuments(datasetId)).toBe(0);
    expect((await store.getDataset(datasetId))?.documentCount).toBe(0);
  });

  it('adds pasted text once', async () => {
    const { store, datasetId } = await setup();
    const first = await ingestPastedText(store, datasetId, 'Pasted words.', {});
    expect(first.files[0]).toMatchObject({ status: 'added', documents: 1 });
    const again = await ingestPastedText(store, datasetId, 'Pasted words.', {});
    expect(again.files[0]?.status).toBe('duplicate');
    expect(await store.countDocuments(datasetId)).toBe(1);
  });

  it('cleans up a file whose ingestion was cut off (closed tab) before the next one', async () => {
    const { store, datasetId } = await setup();
    await ingestIntoDataset(store, datasetId, [input('keep.txt', 'kept')], {});
    await store.putFile({
      datasetId,
      hash: 'h-interrupted',
      name: 'half.jsonl',
      path: 'half.jsonl',
      bytes: 10,
      format: 'jsonl',
      documents: 0,
      messages: [],
      addedAt: Date.now(),
      state: 'ingesting',
    });
    await store.addDocuments(datasetId, 'h-interrupted', [
      { id: 'half-1', source: 'half.jsonl', text: 'half', metadata: {} },
    ]);
    expect(await store.countDocuments(datasetId)).toBe(2);
    expect(await recoverInterruptedIngests(store, datasetId)).toEqual(['half.jsonl']);
    expect(await store.countDocuments(datasetId)).toBe(1);
    expect((await store.getDataset(datasetId))?.documentCount).toBe(1);
    expect(await store.findFile(datasetId, 'h-interrupted')).toBeUndefined();
  });
});
