import { Pinecone } from '@pinecone-database/pinecone';
import {
  chromium,
  expect,
  test,
  type BrowserContext,
  type Page,
  type Request,
} from '@playwright/test';
import { unzipSync } from 'fflate';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBundle, writeBundle, type BundleInput } from '../../src/core/bundle/index.ts';
import { seededRandom } from '../../src/core/project/random.ts';
import { startEmulator, type RunningEmulator } from '../../tools/pinecone-local/server.ts';
import type { EmulatorStats } from '../../tools/pinecone-local/stats.ts';
import { chromiumArgs, chromiumPath } from '../support/chromium.ts';
import { createChunkedDataset, embedWithModel, writeTinyModel } from './embedding-fixtures.ts';
import { removeTempDir } from './helpers.ts';

/** playwright.config.ts serves the build on this port (overridable for side-by-side runs). */
const appUrl = `http://127.0.0.1:${process.env.LUMINA_E2E_PORT ?? '4173'}`;
const BULK = 10_000;
const BULK_DIMS = 16;
const BATCH = 1000;

let emulator: RunningEmulator;

test.beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
test.afterAll(() => emulator.close());

async function openApp(profile: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    args: chromiumArgs(),
    headless: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await openLibrary(page);
  return { context, page };
}

async function openLibrary(page: Page): Promise<void> {
  await page.goto(appUrl);
  await expect(page.getByRole('heading', { name: 'Lumina' })).toBeVisible();
  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
}

/** 10,000 one-chunk documents with seeded 16-dim vectors, as a bundle written in Node. */
function bulkInput(): BundleInput {
  const random = seededRandom(11);
  const embeddings = new Float32Array(BULK * BULK_DIMS);
  for (let i = 0; i < embeddings.length; i++) embeddings[i] = random() * 2 - 1;
  const texts = Array.from({ length: BULK }, (_, i) => `Bulk record ${i} about topic ${i % 37}.`);
  return {
    appVersion: '0.1.0',
    created: '2026-01-02T03:04:05.000Z',
    model: {
      id: 'bulk-16',
      revision: 'main',
      weightsSha256: 'ab'.repeat(32),
      dims: BULK_DIMS,
      pooling: 'mean',
      normalize: false,
      dtype: 'fp32',
      maxTokens: 256,
      queryPrefix: '',
      documentPrefix: '',
    },
    chunking: { mode: 'recursive', chunkTokens: 128, overlapTokens: 0, separators: ['\n\n', ' '] },
    chunks: texts.map((text, i) => ({
      docId: `r${i}`,
      chunkIndex: 0,
      source: 'bulk.jsonl',
      text,
      charStart: 0,
      charEnd: text.length,
      tokenCount: 8,
      metadata: { topic: i % 37 },
    })),
    embeddings,
    documents: texts.map((text, i) => ({
      docId: `r${i}`,
      source: 'bulk.jsonl',
      charCount: text.length,
      chunkCount: 1,
      metadata: { topic: i % 37 },
      text,
    })),
    docEmbeddings: embeddings.slice(),
  };
}

async function importBundle(page: Page, name: string, bytes: Uint8Array): Promise<void> {
  await page.getByTestId('bundle-input').setInputFiles({
    name,
    mimeType: 'application/zip',
    buffer: Buffer.from(bytes),
  });
  await expect(page.getByTestId('job-percent')).toHaveCount(0, { timeout: 120_000 });
}

/** Fills the Sync panel's settings for the emulator. */
async function fillSettings(page: Page, apiKey: string, indexName: string): Promise<void> {
  await page.getByTestId('pinecone-key').fill(apiKey);
  await page.getByTestId('pinecone-index').fill(indexName);
  const advanced = page.getByRole('region', { name: 'Pinecone sync' }).locator('details.advanced');
  if (!(await advanced.getAttribute('open'))) await advanced.locator('summary').click();
  await page.getByTestId('pinecone-host').fill(emulator.url);
}

async function expectSyncComplete(page: Page, timeout = 180_000): Promise<void> {
  await expect(page.getByTestId('sync-notice')).toContainText('verified', { timeout });
  await expect(page.getByTestId('sync-outcome')).toContainText('complete');
  await expect(page.getByTestId('sync-outbox')).toHaveAttribute('data-pending', '0');
}

/** Node-side checks run beside a busy browser: a reset keep-alive connection is tried again. */
async function retried<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 4 || !(error instanceof Error) || error.name !== 'PineconeConnectionError')
        throw error;
    }
  }
}

const client = (): Pinecone =>
  new Pinecone({ apiKey: 'node-reader', controllerHostUrl: emulator.url, maxRetries: 0 });

/** Every id listed in the namespace, in listing order (duplicates kept, to be counted). */
async function listIds(indexName: string, namespace: string): Promise<string[]> {
  const index = client().index({ name: indexName, namespace });
  const ids: string[] = [];
  let next: string | undefined;
  do {
    const token = next;
    const page = await retried(() =>
      index.listPaginated({
        limit: 100,
        ...(token !== undefined ? { paginationToken: token } : {}),
      }),
    );
    ids.push(...(page.vectors ?? []).map((v) => v.id ?? ''));
    next = page.pagination?.next;
  } while (next !== undefined);
  return ids;
}

async function onlyNamespace(indexName: string): Promise<{ namespace: string; count: number }> {
  const stats = await retried(() => client().index({ name: indexName }).describeIndexStats());
  const names = Object.keys(stats.namespaces ?? {});
  expect(names).toHaveLength(1);
  const namespace = names[0] ?? '';
  return { namespace, count: stats.namespaces?.[namespace]?.recordCount ?? -1 };
}

async function stats(): Promise<EmulatorStats> {
  return (await fetch(`${emulator.url}/_emulator/stats`)).json() as Promise<EmulatorStats>;
}

/** Outbox entries of the dataset read straight from IndexedDB in the page. */
function outboxEntries(page: Page, datasetName: string): Promise<number> {
  return page.evaluate(async (name) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('lumina');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('open failed'));
    });
    const all = <T>(store: string): Promise<T[]> =>
      new Promise((resolve, reject) => {
        const request = db.transaction(store).objectStore(store).getAll();
        request.onsuccess = () => resolve(request.result as T[]);
        request.onerror = () => reject(request.error ?? new Error('read failed'));
      });
    const datasets = await all<{ id: string; name: string }>('datasets');
    const dataset = datasets.find((d) => d.name === name);
    if (!dataset) throw new Error(`no dataset ${name}`);
    const entries = await all<{ datasetId: string }>('syncOutbox');
    db.close();
    return entries.filter((entry) => entry.datasetId === dataset.id).length;
  }, datasetName);
}

test('10k vectors sync under 20 % faults, then a closed tab resumes without re-sending', async () => {
  test.setTimeout(420_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-pinecone-'));
  const apiKey = 'pcsk_e2e_bulk_key';
  try {
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    const input = bulkInput();
    const bundle = await writeBundle(input);
    const { context, page } = await openApp(join(root, 'profile'));
    const importStarted = Date.now();
    await importBundle(page, 'bulk.lumina', bundle);
    console.log(
      `10k bundle (${(bundle.byteLength / 1e6).toFixed(1)} MB) imported in ` +
        `${((Date.now() - importStarted) / 1000).toFixed(1)} s`,
    );
    await expect(page.getByTestId('dataset-title')).toHaveText('bulk');
    await expect(page.getByTestId('dataset-counts')).toContainText(
      `${BULK} documents · ${BULK} chunks`,
    );
    await expect(page.getByTestId('sync-set')).toHaveValue('bulk-16');

    // (a) 20 % of requests fail: 429, 500, 503 and dropped connections, reproducibly.
    emulator.setFaults({ rate429: 0.05, rate500: 0.05, rate503: 0.05, dropRate: 0.05, seed: 7 });
    await fillSettings(page, apiKey, 'bulk');
    const started = Date.now();
    await page.getByTestId('sync-start').click();
    await expectSyncComplete(page);
    const seconds = (Date.now() - started) / 1000;
    const faulted = await stats();
    const countsText = await page.getByTestId('sync-counts').innerText();
    console.log(
      `10k sync under faults: ${seconds.toFixed(1)} s; UI: ${countsText}; emulator: ` +
        `${faulted.requests} requests, faults ${JSON.stringify(faulted.faults)}, ` +
        `${faulted.upsertedIds} ids upserted`,
    );
    // Chromium itself silently re-sends a request whose reused connection closed without an
    // answer, so only the answered faults are sure to reach the app's own retry.
    const answered = ['429', '500', '503'].reduce(
      (sum, kind) => sum + (faulted.faults[kind] ?? 0),
      0,
    );
    expect(answered).toBeGreaterThan(0);
    expect(faulted.faults['drop'] ?? 0).toBeGreaterThan(0);
    expect(Number(/retries (\d+)/.exec(countsText)?.[1])).toBeGreaterThanOrEqual(answered);
    emulator.setFaults({ rate429: 0, rate500: 0, rate503: 0, dropRate: 0 });

    const { namespace, count } = await onlyNamespace('bulk');
    expect(namespace).toMatch(/^lumina-/);
    expect(count).toBe(BULK);
    const ids = await listIds('bulk', namespace);
    expect(ids).toHaveLength(BULK);
    expect(new Set(ids).size).toBe(BULK);
    const expected = input.chunks.map((chunk) => `${chunk.docId}#${chunk.chunkIndex}`);
    expect([...ids].sort()).toEqual([...expected].sort());
    const index = client().index({ name: 'bulk', namespace });
    let compared = 0;
    for (let start = 0; start < BULK; start += 200) {
      const slice = expected.slice(start, start + 200);
      const fetched = await retried(() => index.fetch({ ids: slice }));
      slice.forEach((id, offset) => {
        const row = start + offset;
        const want = Array.from(input.embeddings.subarray(row * BULK_DIMS, (row + 1) * BULK_DIMS));
        expect(fetched.records[id]?.values, id).toEqual(want);
        compared += 1;
      });
    }
    expect(compared).toBe(BULK);
    expect(await outboxEntries(page, 'bulk')).toBe(0);
    console.log(`checked from Node: ${ids.length} ids listed, ${compared} vectors compared`);

    // Syncing again with nothing changed sends nothing: the fingerprints of the verified sync match.
    const beforeAgain = await stats();
    const againStarted = Date.now();
    await page.getByTestId('sync-start').click();
    await expect(page.getByTestId('sync-notice')).toContainText(`${BULK} unchanged`, {
      timeout: 120_000,
    });
    const afterAgain = await stats();
    console.log(
      `unchanged re-sync: ${((Date.now() - againStarted) / 1000).toFixed(1)} s, ` +
        `${afterAgain.requests - beforeAgain.requests} requests, ` +
        `${afterAgain.upsertedIds - beforeAgain.upsertedIds} ids upserted`,
    );
    expect(afterAgain.upsertedIds).toBe(beforeAgain.upsertedIds);
    expect(await outboxEntries(page, 'bulk')).toBe(0);

    // (b) A tab closed mid-sync: a new page offers Resume, which sends only what was not acked.
    await fetch(`${emulator.url}/_emulator/stats/reset`, { method: 'POST' });
    emulator.setFaults({ latencyMs: 400 });
    await page.getByTestId('pinecone-index').fill('closed-tab');
    await page.getByTestId('sync-start').click();
    const counts = page.getByTestId('sync-counts');
    await expect
      .poll(async () => Number((await counts.getAttribute('data-acked')) ?? 0), {
        timeout: 120_000,
        intervals: [100],
      })
      .toBeGreaterThanOrEqual(2 * BATCH);
    const ackedBeforeClose = Number(await counts.getAttribute('data-acked'));
    await page.close();
    // Requests already on the wire still land; count them as sent before the resume.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const beforeResume = await stats();
    expect(ackedBeforeClose).toBeLessThan(BULK);
    emulator.setFaults({ latencyMs: 0 });

    const again = await context.newPage();
    await openLibrary(again);
    await again.getByTestId('dataset-item').filter({ hasText: 'bulk' }).click();
    await expect(again.getByTestId('sync-interrupted')).toContainText('closed-tab');
    await again.getByTestId('sync-resume').click();
    await expectSyncComplete(again);
    const afterResume = await stats();
    const resent = afterResume.upsertedIds - beforeResume.upsertedIds;
    console.log(
      `closed tab: ${ackedBeforeClose} acked before close, ${beforeResume.upsertedIds} ids ` +
        `upserted before resume, ${resent} upserted after resume`,
    );
    expect(resent).toBeLessThanOrEqual(BULK - ackedBeforeClose + BATCH);
    expect(resent).toBeGreaterThan(0);
    const closed = await onlyNamespace('closed-tab');
    expect(closed.count).toBe(BULK);
    const closedIds = await listIds('closed-tab', closed.namespace);
    expect(new Set(closedIds).size).toBe(BULK);
    expect(closedIds).toHaveLength(BULK);
    expect(await outboxEntries(again, 'bulk')).toBe(0);
    await context.close();
  } finally {
    emulator.setFaults({ rate429: 0, rate500: 0, rate503: 0, dropRate: 0, latencyMs: 0 });
    await removeTempDir(root);
  }
});

const SECRET = 'pcsk_e2e_SECRET_7f3a9c';
const SECRET_FORMS = [SECRET, Buffer.from(SECRET).toString('base64'), encodeURIComponent(SECRET)];

/** Everything the app logged, sent or stored, as text to search for the key. */
class Leaks {
  readonly texts: { where: string; text: string }[] = [];
  emulatorRequests = 0;
  emulatorRequestsWithKey = 0;
  private readonly pending: Promise<void>[] = [];

  add(where: string, text: string): void {
    this.texts.push({ where, text });
  }

  watch(context: BrowserContext): void {
    context.on('console', (message) => this.add('console', message.text()));
    context.on('weberror', (error) => this.add('pageerror', String(error.error())));
    context.on('request', (request) => this.pending.push(this.request(request)));
  }

  watchPage(page: Page): void {
    page.on('pageerror', (error) => this.add('pageerror', `${error.message}\n${error.stack}`));
    page.on('worker', (worker) => this.add('worker', worker.url()));
  }

  private async request(request: Request): Promise<void> {
    const url = request.url();
    const toEmulator = url.startsWith(emulator.url);
    const headers = await request.allHeaders().catch(() => ({}) as Record<string, string>);
    if (toEmulator && request.method() !== 'OPTIONS') {
      this.emulatorRequests += 1;
      if (headers['api-key'] === SECRET) this.emulatorRequestsWithKey += 1;
    }
    const kept = Object.entries(headers).filter(([name]) => !(toEmulator && name === 'api-key'));
    this.add('request', `${request.method()} ${url}\n${JSON.stringify(kept)}`);
    const body = request.postDataBuffer();
    if (body) this.add('request body', body.toString('latin1'));
  }

  async settle(): Promise<void> {
    await Promise.all(this.pending);
  }

  found(): string[] {
    return this.texts
      .filter(({ text }) => SECRET_FORMS.some((form) => text.includes(form)))
      .map(({ where, text }) => `${where}: ${text.slice(0, 200)}`);
  }
}

/** Every IndexedDB database and store of the origin as text; typed arrays and blobs decoded. */
function dumpIndexedDb(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const parts: string[] = [];
    const decode = (bytes: Uint8Array): string =>
      Array.from(bytes.subarray(0, 8_000_000), (b) => String.fromCharCode(b)).join('');
    const flatten = async (value: unknown): Promise<unknown> => {
      if (value instanceof Blob)
        return value.size < 8_000_000 ? decode(new Uint8Array(await value.arrayBuffer())) : '';
      if (value instanceof ArrayBuffer) return decode(new Uint8Array(value));
      if (ArrayBuffer.isView(value))
        return decode(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      if (Array.isArray(value)) return Promise.all(value.map(flatten));
      if (value && typeof value === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = await flatten(v);
        return out;
      }
      return value;
    };
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(info.name ?? '');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error('open failed'));
      });
      for (const store of Array.from(db.objectStoreNames)) {
        const rows = await new Promise<unknown[]>((resolve, reject) => {
          const request = db.transaction(store).objectStore(store).getAll();
          request.onsuccess = () => resolve(request.result as unknown[]);
          request.onerror = () => reject(request.error ?? new Error('read failed'));
        });
        parts.push(`${info.name}/${store}: ${JSON.stringify(await flatten(rows))}`);
      }
      db.close();
    }
    return parts.join('\n');
  });
}

async function download(page: Page, testId: string): Promise<Buffer> {
  const downloading = page.waitForEvent('download');
  await page.getByTestId(testId).click();
  return readFileSync(await (await downloading).path());
}

/** A zip's entries decompressed, plus a bundle's parsed rows, as text. */
async function exportText(bytes: Buffer, isBundle: boolean): Promise<string> {
  const entries = unzipSync(new Uint8Array(bytes));
  const parts = Object.entries(entries).map(
    ([name, data]) => `${name}: ${Buffer.from(data).toString('latin1')}`,
  );
  if (isBundle) {
    const bundle = await readBundle(new Uint8Array(bytes));
    parts.push(JSON.stringify({ ...bundle, embeddings: [], docEmbeddings: [] }));
  }
  return parts.join('\n');
}

async function searchIds(page: Page, target: 'local' | 'pinecone'): Promise<string[]> {
  await page.getByTestId('search-target').selectOption(target);
  await page
    .getByRole('region', { name: 'Search' })
    .getByRole('button', { name: 'Search', exact: true })
    .click();
  const summary = page.getByTestId('search-summary');
  await expect(summary).toContainText(target === 'pinecone' ? 'Pinecone search' : 'semantic');
  await expect(page.getByTestId('explore-hit').first()).toBeVisible();
  return page.getByTestId('explore-hit').locator('code').allInnerTexts();
}

test('Pinecone search agrees with local search, and the API key leaks nowhere', async () => {
  test.setTimeout(420_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-pinecone-secrets-'));
  const leaks = new Leaks();
  try {
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    const modelDir = await writeTinyModel(root);
    const { context, page } = await openApp(join(root, 'profile'));
    leaks.watch(context);
    leaks.watchPage(page);
    await createChunkedDataset(page, 'Secret notes');
    await embedWithModel(page, modelDir);

    // A failing case: an index of another dimension is refused with a clear message.
    await client().createIndex({
      name: 'wrong-dim',
      dimension: 8,
      metric: 'cosine',
      spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
      waitUntilReady: true,
    });
    await fillSettings(page, SECRET, 'wrong-dim');
    await page.getByTestId('sync-start').click();
    await expect(page.getByTestId('sync-error')).toContainText('dimension 8');
    leaks.add('page text after error', await page.locator('body').innerText());

    // Sync, cancelled while its batch is on the wire, then resumed.
    emulator.setFaults({ latencyMs: 1500 });
    await page.getByTestId('pinecone-index').fill('notes');
    await page.getByTestId('sync-start').click();
    await expect
      .poll(
        async () => Number((await page.getByTestId('sync-counts').getAttribute('data-sent')) ?? 0),
        {
          timeout: 60_000,
          intervals: [100],
        },
      )
      .toBeGreaterThan(0);
    await page.getByTestId('sync-cancel').click();
    await expect(page.getByTestId('sync-notice')).toContainText('cancelled');
    emulator.setFaults({ latencyMs: 0 });
    await expect(page.getByTestId('sync-interrupted')).toBeVisible();
    leaks.add('page text after cancel', await page.locator('body').innerText());
    await page.getByTestId('sync-resume').click();
    await expectSyncComplete(page);
    const { namespace, count } = await onlyNamespace('notes');
    expect(count).toBe(300);
    expect(new Set(await listIds('notes', namespace)).size).toBe(300);

    // Exports of the dataset: whole bundle and the model as a zip.
    leaks.add('bundle export', await exportText(await download(page, 'export-bundle'), true));
    leaks.add('model zip', await exportText(await download(page, 'model-download-zip'), false));

    // (c) Pinecone search returns the local exact-cosine top results.
    await page.getByRole('navigation').getByRole('button', { name: 'Explore' }).click();
    await page.getByTestId('explore-query').fill('glaciers slow erosion in sample');
    const local = await searchIds(page, 'local');
    leaks.add(
      'selection bundle export',
      await exportText(await download(page, 'search-export-bundle'), true),
    );
    const remote = await searchIds(page, 'pinecone');
    console.log(
      `local top 5: ${local.slice(0, 5).join(' ')}; Pinecone: ${remote.slice(0, 5).join(' ')}`,
    );
    expect(local.length).toBeGreaterThanOrEqual(5);
    expect(remote.slice(0, 5)).toEqual(local.slice(0, 5));
    await expect(page.getByTestId('explore-hit').first()).toContainText('Note');
    leaks.add('page text after search', await page.locator('body').innerText());

    // Everything kept in IndexedDB, and what was logged and sent.
    leaks.add('indexeddb', await dumpIndexedDb(page));
    const stored = await page.evaluate(() => localStorage.getItem('lumina.pinecone.apiKey'));
    expect(stored).toBe(SECRET);
    await leaks.settle();
    const seen = await stats();
    // The key was used, and every request that carried it was seen (and searched) here.
    expect(seen.requestsPerKey[SECRET]).toBeGreaterThan(5);
    expect(leaks.emulatorRequests).toBe(seen.requestsPerKey[SECRET]);
    expect(leaks.emulatorRequestsWithKey).toBe(leaks.emulatorRequests);
    console.log(
      `secrets: ${leaks.texts.length} texts searched (${leaks.emulatorRequests} emulator requests)`,
    );
    expect(leaks.found()).toEqual([]);
    await context.close();
  } finally {
    emulator.setFaults({ latencyMs: 0 });
    await removeTempDir(root);
  }
});
