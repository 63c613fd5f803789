import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import {
  createChunkedDataset,
  embedWithModel,
  DOCUMENTS,
  writeTinyModel,
} from './embedding-fixtures.ts';
import { openApp, removeTempDir } from './helpers.ts';

interface StoredMap {
  values: number[];
  chunkIds: string[];
}

/** The stored map record, read from IndexedDB as nothing in the app exposes its numbers. */
function readStoredMap(page: Page, id: string): Promise<StoredMap | null> {
  return page.evaluate(async (id) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('lumina');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('open failed'));
    });
    const all = await new Promise<{ id: string; values: Float32Array; chunkIds: string[] }[]>(
      (resolve, reject) => {
        const request = db.transaction('analyses').objectStore('analyses').getAll();
        request.onsuccess = () => resolve(request.result as never);
        request.onerror = () => reject(request.error ?? new Error('read failed'));
      },
    );
    db.close();
    const found = all.find((record) => record.id === id);
    return found ? { values: Array.from(found.values), chunkIds: found.chunkIds } : null;
  }, id);
}

test('explore: a UMAP map is computed, stored, coloured, clicked, box-selected and exported', async () => {
  test.setTimeout(240_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-map-'));
  try {
    const modelDir = await writeTinyModel(root);
    const { context, page } = await openApp(join(root, 'profile'));
    await createChunkedDataset(page, 'Notes');
    await embedWithModel(page, modelDir);
    await page.getByRole('navigation').getByRole('button', { name: 'Explore' }).click();
    const tools = page.getByRole('navigation', { name: 'Explore tools' });
    await tools.getByRole('button', { name: 'Map' }).click();

    await page.getByTestId('map-method').selectOption('umap');
    await page.getByTestId('map-run').click();
    await expect(page.getByTestId('map-summary')).toContainText(`${DOCUMENTS} points · umap-2d`, {
      timeout: 120_000,
    });
    const canvas = page.getByTestId('map-chart').locator('canvas').first();
    await expect(canvas).toBeVisible();

    // Stored: after a reload the map shows again at once, without computing it again.
    const stored = await readStoredMap(page, 'projection:umap-2d');
    expect(stored?.values).toHaveLength(DOCUMENTS * 2);
    expect(stored?.values.every(Number.isFinite)).toBe(true);
    await page.reload();
    await page.getByRole('navigation').getByRole('button', { name: 'Explore' }).click();
    await tools.getByRole('button', { name: 'Map' }).click();
    await expect(page.getByTestId('map-summary')).toContainText(`${DOCUMENTS} points · umap-2d`);
    await expect(page.getByTestId('map-status')).toHaveCount(0);
    await expect(page.getByTestId('map-run')).toHaveText('Recompute');

    // Clicking a point lists its nearest chunks. The axes span the data exactly, so a point's
    // pixel follows from its coordinates and the plot area (grid 40 left, 20 right, 40 top, 30 bottom).
    const values = stored?.values ?? [];
    const xs = values.filter((_, i) => i % 2 === 0);
    const ys = values.filter((_, i) => i % 2 === 1);
    const [minX, maxX, minY, maxY] = [
      Math.min(...xs),
      Math.max(...xs),
      Math.min(...ys),
      Math.max(...ys),
    ];
    const box = await canvas.boundingBox();
    if (!box) throw new Error('no canvas box');
    const pixel = (row: number) => ({
      x: 40 + (((xs[row] ?? 0) - minX) / (maxX - minX)) * (box.width - 60),
      y: 40 + ((maxY - (ys[row] ?? 0)) / (maxY - minY)) * (box.height - 70),
    });
    const target = pixel(0);
    // Hovering a point shows its source, chunk id and text.
    await canvas.hover({ position: target });
    await expect(page.getByText(/notes\.jsonl · d\d{3}#0/)).toBeVisible();
    await canvas.click({ position: target });
    await expect(page.getByRole('heading', { name: /^Nearest to d\d{3}#0$/ })).toBeVisible();
    await expect(page.getByTestId('map-neighbours').locator('li')).toHaveCount(10);

    // Box-select a rectangle inside the plot and export what was selected.
    await page.getByTestId('map-box-select').click();
    // The neighbour list moved the page: measure the plot again where it is now.
    await canvas.scrollIntoViewIfNeeded();
    const now = await canvas.boundingBox();
    if (!now) throw new Error('no canvas box');
    box.x = now.x;
    box.y = now.y;
    const from = { x: 40 + (box.width - 60) * 0.05, y: 40 + (box.height - 70) * 0.05 };
    const to = { x: 40 + (box.width - 60) * 0.6, y: 40 + (box.height - 70) * 0.95 };
    await page.mouse.move(box.x + from.x, box.y + from.y);
    await page.mouse.down();
    await page.mouse.move(box.x + to.x, box.y + to.y, { steps: 8 });
    await page.mouse.up();
    const selection = page.getByTestId('map-selection');
    await expect(selection).toContainText('points selected');
    const selected = Number(/(\d+) points/.exec((await selection.textContent()) ?? '')?.[1]);
    const inside = (row: number) => {
      const p = pixel(row);
      return p.x >= from.x && p.x <= to.x && p.y >= from.y && p.y <= to.y;
    };
    const expected = xs.filter((_, row) => inside(row)).length;
    expect(expected).toBeGreaterThan(0);
    // Points within a pixel of the rectangle's edges may fall either way.
    expect(Math.abs(selected - expected)).toBeLessThanOrEqual(3);
    const downloading = page.waitForEvent('download');
    await page.getByTestId('map-export-csv').click();
    const rows = Papa.parse<Record<string, string>>(
      readFileSync(await (await downloading).path(), 'utf8'),
      { header: true, skipEmptyLines: true },
    ).data;
    expect(rows).toHaveLength(selected);
    expect(rows.every((row) => /^d\d{3}#0$/.test(row['chunk_id'] ?? '') && row['text'])).toBe(true);

    // PNG export of the chart.
    const png = page.waitForEvent('download');
    await page.getByTestId('map-chart-png').click();
    const file = await png;
    expect(file.suggestedFilename()).toMatch(/umap-2d\.png$/);
    expect(
      readFileSync(await file.path())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');

    // Colour by cluster after running k-means; 3D maps draw through echarts-gl.
    await tools.getByRole('button', { name: 'Clusters' }).click();
    await page.getByTestId('clusters-k').fill('4');
    await page.getByTestId('clusters-run').click();
    await expect(page.getByTestId('cluster')).toHaveCount(4);
    await tools.getByRole('button', { name: 'Map' }).click();
    await page.getByTestId('map-color').selectOption('cluster');
    await expect(page.getByRole('alert')).toHaveCount(0);
    await page.getByTestId('map-dims').selectOption('3');
    await page.getByTestId('map-method').selectOption('pca');
    await page.getByTestId('map-run').click();
    await expect(page.getByTestId('map-summary')).toContainText(`${DOCUMENTS} points · pca-3d`);
    await expect(page.getByTestId('map-chart').locator('canvas').first()).toBeVisible();
    await context.close();
  } finally {
    await removeTempDir(root);
  }
});
