import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preview } from 'vite';
import { createChunkedDataset, DOCUMENTS, writeTinyModel } from './embedding-fixtures.ts';
import { addFiles, outcome, removeTempDir, waitForJobDone } from './helpers.ts';

test('the installed app reloads offline, stays isolated, and ingests a file', async ({
  page,
  context,
}) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Lumina' })).toBeVisible();

  const manifest = await page.evaluate(async () => {
    const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]');
    return link
      ? ((await (await fetch(link.href)).json()) as {
          name: string;
          icons: unknown[];
          file_handlers?: { action: string; accept: Record<string, string[]> }[];
        })
      : null;
  });
  expect(manifest?.name).toContain('Lumina');
  expect(manifest?.icons.length).toBeGreaterThanOrEqual(2);
  // The installed app is offered .lumina files by the file manager (File Handling API).
  expect(manifest?.file_handlers).toEqual([
    { action: './', accept: { 'application/x-lumina-bundle': ['.lumina'] } },
  ]);

  // Wait until the service worker controls the page, so the shell is cached.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) =>
        navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
      );
    }
  });

  // The ONNX Runtime is cached in the background on the first visit, before any model runs,
  // so a model imported later can embed offline.
  await expect
    .poll(
      () =>
        page.evaluate(async () => {
          const cache = await caches.open('lumina-runtime-wasm');
          return (await cache.keys())
            .map((request) => new URL(request.url).pathname.replace(/-[\w-]+(\.\w+)$/, '$1'))
            .sort();
        }),
      { timeout: 60_000 },
    )
    .toEqual([
      '/assets/ort-wasm-simd-threaded.asyncify.mjs',
      '/assets/ort-wasm-simd-threaded.asyncify.wasm',
    ]);

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Lumina' })).toBeVisible();
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);

  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
  await addFiles(page, [
    {
      name: 'offline-notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Written while offline.\nSecond line.'),
    },
  ]);
  await waitForJobDone(page);
  await expect(outcome(page, 'offline-notes.txt')).toContainText('added');
  await expect(page.getByTestId('document-item')).toContainText('Written while offline.');
  await context.setOffline(false);
});

const HUB_MODEL = 'lumina-e2e/tiny-minilm';
const OFFLINE_TEXT = 'Quokkas ferry lanterns across the unplugged archipelago at dawn.';

/** Resolves once a service worker controls the page (it claims clients on its first visit). */
async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) =>
        navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
      );
    }
  });
}

/**
 * Answers Hugging Face Hub file URLs for HUB_MODEL from a tiny seeded model folder, as the Hub
 * would (CORS, content length, 404 for files the repository lacks). In Chromium, context routes
 * also see the requests the service worker makes, so the app's own caching runs as with the Hub.
 */
async function serveHubModel(context: BrowserContext, modelDir: string): Promise<string[]> {
  const served: string[] = [];
  const prefix = `https://huggingface.co/${HUB_MODEL}/resolve/main/`;
  await context.route('https://huggingface.co/**', async (route) => {
    const url = route.request().url();
    const path = url.startsWith(prefix) ? decodeURIComponent(url.slice(prefix.length)) : null;
    const file = path ? join(modelDir, path) : null;
    const headers = { 'access-control-allow-origin': '*' };
    if (!file || !existsSync(file)) {
      await route.fulfill({ status: 404, headers, body: 'Entry not found' });
      return;
    }
    served.push(path ?? '');
    const body = readFileSync(file);
    await route.fulfill({
      status: 200,
      headers: { ...headers, 'content-length': String(body.length) },
      contentType: file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      body,
    });
  });
  return served;
}

async function embedWithHubModel(page: Page): Promise<void> {
  await page.getByTestId('model-kind').selectOption('hub');
  await page.getByTestId('hub-id').fill(HUB_MODEL);
  await page.getByTestId('device-select').selectOption('wasm');
  await page.getByTestId('token-budget').fill('4096');
  await page.getByRole('button', { name: 'Start embedding' }).click();
  await expect(page.getByTestId('embed-notice')).toContainText(/Embedded \d+ chunks/, {
    timeout: 120_000,
  });
}

test('after one online visit, a cached Hub model embeds a new local file offline; storage view measures and deletes', async ({
  page,
  context,
}) => {
  test.setTimeout(300_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-offline-'));
  try {
    const served = await serveHubModel(context, await writeTinyModel(root));

    // The one online visit: the service worker takes over, a dataset is stored and embedded
    // with a model downloaded from the (routed) Hub.
    await page.goto('/');
    await waitForServiceWorker(page);
    await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
    await createChunkedDataset(page, 'Field notes');
    await embedWithHubModel(page);
    expect(served).toContain('onnx/model.onnx');
    expect(served).toContain('tokenizer.json');

    // No network from here on: neither the Hub route nor the preview server answers.
    await context.unrouteAll({ behavior: 'ignoreErrors' });
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Lumina' })).toBeVisible();
    await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
    await page.getByTestId('dataset-item').filter({ hasText: 'Field notes' }).click();
    await expect(page.getByTestId('dataset-title')).toHaveText('Field notes');
    await expect(page.getByTestId('dataset-counts')).toContainText(
      `${DOCUMENTS} documents · ${DOCUMENTS} chunks`,
    );

    await addFiles(page, [
      { name: 'unplugged.txt', mimeType: 'text/plain', buffer: Buffer.from(OFFLINE_TEXT) },
    ]);
    await waitForJobDone(page);
    await expect(outcome(page, 'unplugged.txt')).toContainText('added');
    await page.getByRole('button', { name: 'Chunk dataset' }).click();
    await waitForJobDone(page);
    const total = DOCUMENTS + 1;
    await expect(page.getByTestId('dataset-counts')).toContainText(
      `${total} documents · ${total} chunks`,
    );

    await embedWithHubModel(page);
    await page.getByTestId('search-query').fill(OFFLINE_TEXT);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const first = page.getByTestId('search-hit').first();
    await expect(first).toContainText('Quokkas ferry lanterns');
    await expect(first).toContainText('1.000');

    // The storage view, still offline: the dataset and the cached model with their sizes.
    await page.getByRole('navigation').getByRole('button', { name: 'System' }).click();
    const storage = page.getByTestId('storage-view');
    await expect(storage.getByTestId('storage-total')).toContainText('used of');
    const datasetRow = storage.getByTestId('dataset-usage-row').filter({ hasText: 'Field notes' });
    await expect(datasetRow).toBeVisible();
    await expect(datasetRow).toContainText(/\d+(\.\d)? (KB|MB)/);
    const modelRow = storage.getByTestId('model-usage-row').filter({ hasText: HUB_MODEL });
    // transformers.js keeps the Hub files, and the service worker's runtime cache does too.
    await expect(modelRow).toContainText('transformers-cache, lumina-models');
    await expect(modelRow).toContainText(/\d+(\.\d)? (KB|MB)/);

    // Deleting the dataset asks first, then frees it: its row goes and the Library forgets it.
    page.once('dialog', (dialog) => void dialog.accept());
    await datasetRow.getByRole('button', { name: 'Delete' }).click();
    await expect(datasetRow).toHaveCount(0);

    // Deleting the cached model removes its files from both caches.
    page.once('dialog', (dialog) => void dialog.accept());
    await modelRow.getByRole('button', { name: 'Delete' }).click();
    await expect(modelRow).toHaveCount(0);
    const left = await page.evaluate(async (model) => {
      let count = 0;
      for (const name of await caches.keys()) {
        const keys = await (await caches.open(name)).keys();
        count += keys.filter((request) => request.url.includes(`/${model}/`)).length;
      }
      return count;
    }, HUB_MODEL);
    expect(left).toBe(0);

    await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
    await expect(page.getByTestId('dataset-item').filter({ hasText: 'Field notes' })).toHaveCount(
      0,
    );
  } finally {
    await context.setOffline(false);
    await removeTempDir(root);
  }
});

/**
 * The built app served from a copy of its own, so a test can deploy a "next version" into it
 * without touching the build other tests use.
 */
async function servedCopy(
  root: string,
): Promise<{ url: string; dir: string; close: () => Promise<void> }> {
  const dir = join(root, 'dist');
  cpSync(process.env.LUMINA_E2E_DIST ?? 'dist', dir, { recursive: true });
  const server = await preview({
    logLevel: 'silent',
    build: { outDir: dir },
    preview: { host: '127.0.0.1', port: 4180, strictPort: false },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the preview server did not say where it listens');
  return { url, dir, close: () => server.close() };
}

/**
 * A "next deployment" of the copy: the built service worker plus a listener that answers which
 * version it is (any change to sw.js makes the browser install it as an update).
 */
function deployVersion(dir: string, version: string): void {
  const sw = join(dir, 'sw.js');
  const built = readFileSync(sw, 'utf8').split('\n//# lumina-e2e-version')[0] ?? '';
  writeFileSync(
    sw,
    `${built}\n//# lumina-e2e-version
self.addEventListener('message', (event) => {
  if (event.data === 'lumina-e2e-version') event.source?.postMessage(${JSON.stringify(version)});
});`,
  );
}

/** The version the controlling service worker says it is; null for the original build. */
function controllerVersion(page: Page): Promise<unknown> {
  return page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    const controller = navigator.serviceWorker.controller;
    if (!controller) return 'none';
    const answer = new Promise<unknown>((resolve) => {
      navigator.serviceWorker.addEventListener('message', (event) => resolve(event.data), {
        once: true,
      });
      setTimeout(() => resolve(null), 1000);
    });
    controller.postMessage('lumina-e2e-version');
    return answer;
  });
}

test('a new version waits for "Update now", then the page reloads into it', async ({ page }) => {
  const root = mkdtempSync(join(tmpdir(), 'lumina-update-'));
  const app = await servedCopy(root);
  try {
    await page.goto(app.url);
    await waitForServiceWorker(page);
    const banner = page.getByRole('alert').filter({ hasText: 'A new version of Lumina is ready.' });

    // Twice: first in the visit the service worker took over during, then in a page it
    // controlled from the start (the usual case: the app opened again after a deployment).
    for (const version of ['second', 'third']) {
      deployVersion(app.dir, version);
      await page.evaluate(async () => {
        await (await navigator.serviceWorker.getRegistration())?.update();
      });
      await expect(banner).toBeVisible();
      expect(await controllerVersion(page)).not.toBe(version);

      const reloaded = page.waitForEvent('load');
      await banner.getByRole('button', { name: 'Update now' }).click();
      await reloaded;
      await expect(page.getByRole('heading', { name: 'Lumina' })).toBeVisible();
      await expect(banner).toHaveCount(0);
      expect(await controllerVersion(page)).toBe(version);
    }
  } finally {
    await app.close();
    await removeTempDir(root);
  }
});
