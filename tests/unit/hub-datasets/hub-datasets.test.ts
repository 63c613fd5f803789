import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  describeHubSplit,
  findSplit,
  HubDatasetError,
  importHubIntoDataset,
  lookUpHubDataset,
  readHubDocuments,
  type HubAccess,
  type HubImportRequest,
} from '../../../src/core/hub-datasets/index.ts';
import type { Progress } from '../../../src/core/progress.ts';
import type { SourceDocument } from '../../../src/core/types.ts';
import { startHubStandIn, type HubStandIn } from '../../../tools/hub-local/server.ts';
import { sharedDir } from '../../support/shared-data.ts';
import { openTestStore } from '../store/indexeddb-env.ts';

interface ScifactRecord {
  _id: string;
  title: string;
  text: string;
}

const readJsonl = (name: string): ScifactRecord[] =>
  readFileSync(join(sharedDir, 'datasets/scifact', name), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as ScifactRecord);

const corpus = readJsonl('corpus.jsonl');
const queries = readJsonl('queries.jsonl');

let standIn: HubStandIn;
let access: HubAccess;

beforeAll(async () => {
  standIn = await startHubStandIn({
    sharedDir,
    port: 0,
    gated: { 'acme/gated-scifact': 'hf_secret' },
  });
  access = { endpoints: { viewerUrl: standIn.url, hubUrl: standIn.url } };
});
afterAll(() => standIn.close());

const corpusRequest = (limit: number): HubImportRequest => ({
  dataset: 'BeIR/scifact',
  config: 'corpus',
  split: 'corpus',
  textColumn: 'text',
  idColumn: '_id',
  limit,
});

async function errorOf(work: Promise<unknown>): Promise<HubDatasetError> {
  const error = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HubDatasetError);
  return error as HubDatasetError;
}

describe('Hub datasets against the local stand-in', () => {
  it('resolves BeIR/scifact into its configs, splits, row counts, files and columns', async () => {
    const info = await lookUpHubDataset('BeIR/scifact', access);
    expect(info.splits.map((s) => [s.config, s.split, s.numRows, s.files.length])).toEqual([
      ['corpus', 'corpus', corpus.length, 2],
      ['queries', 'queries', queries.length, 2],
    ]);
    expect(info.splits[0]?.files[0]?.url).toContain(
      '/datasets/BeIR/scifact/resolve/refs%2Fconvert%2Fparquet/corpus/corpus/0000.parquet',
    );
    const schema = await describeHubSplit(findSplit(info, 'corpus', 'corpus'), 'scifact', access);
    expect(schema.columns).toEqual([
      { path: '_id', kind: 'text' },
      { path: 'title', kind: 'text' },
      { path: 'text', kind: 'text' },
    ]);
    expect(schema.suggestedText).toBe('text');
    expect(schema.suggestedId).toBe('_id');
    expect(schema.rowGroups).toBeGreaterThan(1);
  });

  it('imports exactly the first 250 corpus rows, reading a small part of the files', async () => {
    const store = await openTestStore();
    const dataset = await store.createDataset('scifact');
    const totalBytes = (standIn.splits[0]?.files ?? []).reduce((n, f) => n + f.bytes.byteLength, 0);
    standIn.resetCounters();
    const events: Progress[] = [];
    const result = await importHubIntoDataset(store, dataset.id, corpusRequest(250), {
      ...access,
      onProgress: (e) => events.push(e),
    });
    const served = standIn.bytesServed();
    console.log(
      `limit 250: ${served} parquet bytes served of ${totalBytes} (${((100 * served) / totalBytes).toFixed(1)} %), ${result.bytesDownloaded} counted by the reader`,
    );
    expect(result.documentsAdded).toBe(250);
    expect(result.rowsRead).toBe(250);
    const stored = await store.listDocuments(dataset.id, { offset: 0, limit: 1000 });
    expect(stored).toHaveLength(250);
    const byId = new Map(stored.map((d) => [d.id, d]));
    for (const [row, record] of corpus.slice(0, 250).entries()) {
      const doc = byId.get(record._id);
      expect(doc?.text).toBe(record.text);
      expect(doc?.source).toBe('hf://datasets/BeIR/scifact/corpus/corpus');
      expect(doc?.metadata).toEqual({
        hf_dataset: 'BeIR/scifact',
        config: 'corpus',
        split: 'corpus',
        row,
      });
    }
    expect(served).toBeLessThan(totalBytes * 0.1);
    expect(result.bytesDownloaded).toBe(served);
    expect(events.at(-1)?.status).toBe('done');
    const fractions = events.map((e) => e.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  });

  it('is idempotent: the same rows again add nothing, a larger limit adds only the new rows', async () => {
    const store = await openTestStore();
    const dataset = await store.createDataset('scifact');
    await importHubIntoDataset(store, dataset.id, corpusRequest(40), access);
    const again = await importHubIntoDataset(store, dataset.id, corpusRequest(40), access);
    expect(again.documentsAdded).toBe(0);
    expect(again.alreadyPresent).toBe(40);
    expect(again.files[0]?.status).toBe('duplicate');
    const more = await importHubIntoDataset(store, dataset.id, corpusRequest(60), access);
    expect(more.documentsAdded).toBe(20);
    expect((await store.getDataset(dataset.id))?.documentCount).toBe(60);
    const record = (await store.listFiles(dataset.id)).find((f) => f.format === 'hub');
    expect(record?.documents).toBe(60);
  });

  it('reads across Parquet files and falls back to <config>/<split>/<row> ids without an id column', async () => {
    const docs: SourceDocument[] = [];
    const boundary = standIn.splits[1]?.files[0]?.rows ?? 0;
    expect(boundary).toBeGreaterThan(0);
    const limit = boundary + 45;
    const result = await readHubDocuments(
      { dataset: 'BeIR/scifact', config: 'queries', split: 'queries', textColumn: 'text', limit },
      async (batch) => {
        docs.push(...batch);
      },
      access,
    );
    expect(result.rowsRead).toBe(limit);
    expect(docs.map((d) => d.text)).toEqual(queries.slice(0, limit).map((q) => q.text));
    expect(docs[boundary]?.id).toBe(`queries/queries/${boundary}`);
  });

  it('falls back to the Hub API listing when the dataset viewer is unreachable', async () => {
    const hubOnly = { endpoints: { viewerUrl: 'http://127.0.0.1:1', hubUrl: standIn.url } };
    const info = await lookUpHubDataset('BeIR/scifact', hubOnly);
    expect(info.splits.map((s) => [s.config, s.split, s.numRows, s.files.length])).toEqual([
      ['corpus', 'corpus', null, 2],
      ['queries', 'queries', null, 2],
    ]);
    expect(info.sizeNote).toContain('Could not reach http://127.0.0.1:1');
    const docs: SourceDocument[] = [];
    // Without listed sizes the reader asks each file's length with a HEAD request first.
    await readHubDocuments(corpusRequest(5), async (batch) => void docs.push(...batch), hubOnly);
    expect(docs.map((d) => d.id)).toEqual(corpus.slice(0, 5).map((r) => r._id));
  });

  it('says clearly when the dataset, a split or a column is not there', async () => {
    const missing = await errorOf(lookUpHubDataset('nobody/no-such-dataset', access));
    expect(missing.code).toBe('not-found');
    expect(missing.message).toContain('nobody/no-such-dataset');
    expect((await errorOf(lookUpHubDataset('not a valid id!', access))).code).toBe('invalid-id');
    const split = await errorOf(
      readHubDocuments({ ...corpusRequest(5), split: 'train' }, () => Promise.resolve(), access),
    );
    expect(split.code).toBe('no-split');
    expect(split.message).toContain('corpus/corpus, queries/queries');
    const column = await errorOf(
      readHubDocuments(
        { ...corpusRequest(5), textColumn: 'abstract' },
        () => Promise.resolve(),
        access,
      ),
    );
    expect(column.code).toBe('column');
    expect(column.message).toContain('no column "abstract"');
    expect(column.message).toContain('_id (text), title (text), text (text)');
  });

  it('asks for a token for a gated dataset and never puts the token in a message', async () => {
    const request = { ...corpusRequest(3), dataset: 'acme/gated-scifact' };
    const gated = await errorOf(readHubDocuments(request, () => Promise.resolve(), access));
    expect(gated.code).toBe('auth');
    expect(gated.message).toContain('token');
    const wrong = await errorOf(
      readHubDocuments(request, () => Promise.resolve(), { ...access, token: 'hf_wrong' }),
    );
    expect(wrong.code).toBe('auth');
    expect(wrong.message).not.toContain('hf_wrong');
    const docs: SourceDocument[] = [];
    await readHubDocuments(request, async (batch) => void docs.push(...batch), {
      ...access,
      token: 'hf_secret',
    });
    expect(docs.map((d) => d.id)).toEqual(corpus.slice(0, 3).map((r) => r._id));
  });

  it('stops on abort, before and during an import', async () => {
    const store = await openTestStore();
    const dataset = await store.createDataset('scifact');
    const early = new AbortController();
    early.abort();
    await expect(
      importHubIntoDataset(store, dataset.id, corpusRequest(10), {
        ...access,
        signal: early.signal,
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const midway = new AbortController();
    standIn.resetCounters();
    await expect(
      importHubIntoDataset(store, dataset.id, corpusRequest(5000), {
        ...access,
        signal: midway.signal,
        onProgress: (e) => {
          if (e.status === 'progress' && e.done >= 500) midway.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const kept = (await store.getDataset(dataset.id))?.documentCount ?? 0;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(5000);
    // What the aborted run stored stays, and a new run carries on from there.
    const resumed = await importHubIntoDataset(store, dataset.id, corpusRequest(1000), access);
    expect(resumed.alreadyPresent).toBe(kept);
    expect(resumed.documentsAdded).toBe(1000 - kept);
  });
});
