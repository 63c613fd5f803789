import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { readBundle, type Bundle } from '../../src/core/bundle/index.ts';
import {
  createChunkedDataset,
  docId,
  documentQuestion,
  embedWithModel,
  writeTinyModel,
} from './embedding-fixtures.ts';
import { openApp, removeTempDir } from './helpers.ts';

/** Document ids of the dataset named `name`, read from IndexedDB (the app pages them). */
function storedDocIds(page: Page, name: string): Promise<string[]> {
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
    const documents = await all<{ datasetId: string; id: string }>('documents');
    db.close();
    return documents.filter((d) => d.datasetId === dataset?.id).map((d) => d.id);
  }, name);
}

async function download(page: Page, testId: string): Promise<{ name: string; path: string }> {
  const downloading = page.waitForEvent('download');
  await page.getByTestId(testId).click();
  const file = await downloading;
  return { name: file.suggestedFilename(), path: await file.path() };
}

const chunkIds = (bundle: Bundle): string[] =>
  bundle.chunks.map((chunk) => `${chunk.docId}#${chunk.chunkIndex}`).sort();

test('selection bundles: a filter, search results and a map selection export and import back', async () => {
  test.setTimeout(300_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-selection-'));
  try {
    const modelDir = await writeTinyModel(root);
    const { context, page } = await openApp(join(root, 'profile'));
    await createChunkedDataset(page, 'Notes');
    await embedWithModel(page, modelDir);

    // Embedding panel: a filter nothing matches is refused; a metadata filter keeps two notes.
    const filter = page.getByTestId('export-filter');
    await filter.locator('summary').click();
    await page.getByTestId('export-split').selectOption('train');
    await page.getByTestId('export-bundle').click();
    await expect(page.getByTestId('embed-error')).toContainText('holds no embedded chunks');
    await page.getByTestId('export-split').selectOption('');
    await page
      .getByTestId('export-metadata')
      .fill(`question=${documentQuestion(42)}\nquestion=${documentQuestion(7)}`);
    const filtered = await download(page, 'export-bundle');
    expect(filtered.name).toBe('Notes-filtered-selection.lumina');
    const filteredBundle = await readBundle(readFileSync(filtered.path));
    expect(chunkIds(filteredBundle)).toEqual([`${docId(7)}#0`, `${docId(42)}#0`]);
    expect(filteredBundle.manifest.selection).toMatchObject({
      kind: 'filter',
      filter: { metadata: { question: [documentQuestion(42), documentQuestion(7)] } },
      from: { documents: 300, chunks: 300 },
    });
    await page.getByTestId('export-metadata').fill('');

    // Search results: the bundle holds exactly the listed hits.
    await page.getByRole('navigation').getByRole('button', { name: 'Explore' }).click();
    await page.getByTestId('search-mode').selectOption('lexical');
    await page.getByTestId('explore-query').fill('sample');
    await page
      .getByRole('region', { name: 'Search' })
      .getByRole('button', { name: 'Search', exact: true })
      .click();
    const hits = page.getByTestId('explore-hit');
    await expect(hits).toHaveCount(10);
    const hitDocs = await hits.locator('code').allTextContents();
    const results = await download(page, 'search-export-bundle');
    expect(results.name).toBe('Notes-search-selection.lumina');
    await expect(page.getByTestId('search-bundle-notice')).toContainText('Exported 10 results');
    const resultsBundle = await readBundle(readFileSync(results.path));
    expect(chunkIds(resultsBundle)).toEqual(hitDocs.map((id) => `${id}#0`).sort());
    expect(resultsBundle.manifest.selection?.description).toMatch(/^10 results of lexical search/);

    // Map: box-select part of a PCA map, export the selection as CSV and as a bundle.
    const tools = page.getByRole('navigation', { name: 'Explore tools' });
    await tools.getByRole('button', { name: 'Map' }).click();
    await page.getByTestId('map-method').selectOption('pca');
    await page.getByTestId('map-run').click();
    await expect(page.getByTestId('map-summary')).toContainText('300 points · pca-2d', {
      timeout: 120_000,
    });
    await page.getByTestId('map-box-select').click();
    // Redrawing the chart (here: new colours) must keep the chosen selection tool.
    await page.getByTestId('map-color').selectOption('none');
    const canvas = page.getByTestId('map-chart').locator('canvas').first();
    await canvas.scrollIntoViewIfNeeded();
    const box = await canvas.boundingBox();
    if (!box) throw new Error('no canvas box');
    const selection = page.getByTestId('map-selection');
    // ECharts switches the cursor to its brush a frame after the click: a drag that starts before
    // that pans nothing and selects nothing, so drag again until the selection is reported.
    await expect(async () => {
      await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.95, { steps: 8 });
      await page.mouse.up();
      await expect(selection).toContainText('points selected', { timeout: 3_000 });
    }).toPass({ timeout: 30_000 });
    const selected = Number(/(\d+) points/.exec((await selection.textContent()) ?? '')?.[1]);
    expect(selected).toBeGreaterThan(0);
    expect(selected).toBeLessThan(300);
    const csv = await download(page, 'map-export-csv');
    const csvIds = Papa.parse<Record<string, string>>(readFileSync(csv.path, 'utf8'), {
      header: true,
      skipEmptyLines: true,
    })
      .data.map((row) => row['chunk_id'] ?? '')
      .sort();
    expect(csvIds).toHaveLength(selected);
    const picked = await download(page, 'map-export-bundle');
    expect(picked.name).toBe('Notes-map-pca-2d-selection.lumina');
    const pickedBundle = await readBundle(readFileSync(picked.path));
    expect(chunkIds(pickedBundle)).toEqual(csvIds);
    expect(pickedBundle.manifest.selection).toMatchObject({
      kind: 'chunks',
      description: `${selected} points selected on the pca-2d map of tiny-minilm`,
    });

    // Importing the map bundle gives a dataset of exactly the selected documents.
    await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
    await page.getByTestId('bundle-input').setInputFiles({
      name: 'map pick.lumina',
      mimeType: 'application/zip',
      buffer: readFileSync(picked.path),
    });
    await expect(page.getByTestId('job-percent')).toHaveCount(0, { timeout: 60_000 });
    await expect(page.getByTestId('dataset-title')).toHaveText('map pick');
    await expect(page.getByTestId('dataset-counts')).toContainText(
      `${selected} documents · ${selected} chunks`,
    );
    expect((await storedDocIds(page, 'map pick')).sort()).toEqual(
      csvIds.map((id) => id.replace(/#0$/, '')).sort(),
    );
    await context.close();
  } finally {
    await removeTempDir(root);
  }
});
