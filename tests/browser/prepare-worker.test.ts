import * as Comlink from 'comlink';
import { afterAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../src/core/progress.ts';
import { openStore } from '../../src/core/store/index.ts';
import { prepareClient } from '../../src/lib/clients.ts';
import { deleteStoredDatasets } from './store-helpers.ts';

/** The real prepare worker, as the app starts it, against the app's real IndexedDB. */
describe('prepare worker', () => {
  const names: string[] = [];
  afterAll(async () => {
    prepareClient.terminate();
    await deleteStoredDatasets(...names);
  });

  async function dataset(name: string): Promise<string> {
    const store = await openStore();
    const created = await store.createDataset(name);
    store.close();
    names.push(created.id);
    return created.id;
  }

  it('ingests files with monotonic progress and chunks them with a served tokenizer', async () => {
    const id = await dataset('worker test');
    const rows = Array.from({ length: 2000 }, (_, i) =>
      JSON.stringify({
        id: `r${i}`,
        text: `Row number ${i} says something about proteins and cells.`,
      }),
    );
    const files = [
      new File([rows.join('\n')], 'rows.jsonl'),
      new File(['id,text\n1,"quoted, with\nnewline"\n'], 'table.csv'),
      new File([new Uint8Array([0, 0, 0, 1, 2])], 'blob.txt'),
    ];
    const events: Progress[] = [];
    const result = await prepareClient.call((api) =>
      api.ingest(
        id,
        files.map((f) => ({ name: f.name, path: f.name, blob: f })),
        {},
        undefined,
        Comlink.proxy((e: Progress) => events.push(e)),
      ),
    );
    expect(result.files.map((f) => f.status)).toEqual(['added', 'added', 'failed']);
    expect(result.documentsAdded).toBe(2001);
    // Progress comes over the callback's own port, so the last event may trail the result.
    await expect.poll(() => events.at(-1)?.status).toBe('done');
    const fractions = events.map((e) => e.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });

    const chunked = await prepareClient.call((api) =>
      api.chunk(
        id,
        { mode: 'recursive', chunkTokens: 8, overlapTokens: 2 },
        { kind: 'whitespace' },
      ),
    );
    expect(chunked.documents).toBe(2001);
    expect(chunked.chunks).toBeGreaterThan(2001);
    const store = await openStore();
    const chunks = await store.listChunks(id, 'r5');
    store.close();
    const doc = 'Row number 5 says something about proteins and cells.';
    for (const c of chunks) expect(doc.slice(c.charStart, c.charEnd)).toBe(c.text);
  });

  it('cancels an ingest from the page and rolls back the file in progress', async () => {
    const id = await dataset('cancel test');
    const rows = Array.from({ length: 60_000 }, (_, i) =>
      JSON.stringify({ id: `r${i}`, text: `row ${i}` }),
    );
    const file = new File([rows.join('\n')], 'big.jsonl');
    const controller = new AbortController();
    const pending = prepareClient.call(
      (api) =>
        api.ingest(
          id,
          [{ name: file.name, path: file.name, blob: file }],
          {},
          controller.signal,
          Comlink.proxy((e: Progress) => {
            if (e.fraction > 0.2) controller.abort();
          }),
        ),
      controller.signal,
    );
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    // The worker rolled the file back before answering, and is still the same worker.
    expect(prepareClient.started).toBe(true);
    const store = await openStore();
    expect(await store.countDocuments(id)).toBe(0);
    expect((await store.getDataset(id))?.documentCount).toBe(0);
    store.close();
  });
});
