import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import {
  createChunkedDataset,
  embedWithModel,
  docId,
  documentText,
  DOCUMENTS,
  MODEL_NAME,
  writeTinyModel,
} from './embedding-fixtures.ts';
import { openApp, removeTempDir } from './helpers.ts';

/** Two documents with the very same text, beside the notes: a certain near-duplicate pair. */
const TWIN_TEXT = 'Twin note: identical wording about lighthouses guarding a rocky coast.';
const TOTAL = DOCUMENTS + 2;

async function downloadText(page: Page, testId: string): Promise<{ name: string; text: string }> {
  const downloading = page.waitForEvent('download');
  await page.getByTestId(testId).click();
  const download = await downloading;
  return {
    name: download.suggestedFilename(),
    text: readFileSync(await download.path(), 'utf8'),
  };
}

async function closeDocument(page: Page): Promise<void> {
  await page
    .getByRole('region', { name: 'Document' })
    .getByRole('button', { name: 'Close' })
    .click();
}

const csvRows = (text: string) =>
  Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true }).data;

test('explore: clusters with a suggested k, duplicates, a path and a similarity heatmap', async () => {
  test.setTimeout(180_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-analysis-'));
  let context: BrowserContext | undefined;
  try {
    const modelDir = await writeTinyModel(root);
    const opened = await openApp(join(root, 'profile'));
    context = opened.context;
    const page = opened.page;
    await createChunkedDataset(page, 'Notes', [
      { _id: 'twin-a', text: TWIN_TEXT },
      { _id: 'twin-b', text: TWIN_TEXT },
    ]);
    await embedWithModel(page, modelDir, TOTAL);
    const nav = page.getByRole('navigation');
    await nav.getByRole('button', { name: 'Explore' }).click();
    await expect(page.getByTestId('explore-set')).toHaveValue(MODEL_NAME);
    const tools = page.getByRole('navigation', { name: 'Explore tools' });

    // Clusters: suggest k over 2…6, then run k-means with it.
    await tools.getByRole('button', { name: 'Clusters' }).click();
    const clusters = page.getByRole('region', { name: 'Clusters' });
    await clusters.getByLabel('Try k from').fill('2');
    await clusters.getByLabel('to', { exact: true }).fill('6');
    await page.getByTestId('clusters-suggest').click();
    await expect(page.getByTestId('choose-k-table').locator('tbody tr')).toHaveCount(5);
    await expect(page.getByTestId('choose-k-chart').locator('canvas').first()).toBeVisible();
    const suggested = Number(
      /Suggested k = (\d+)/.exec(
        (await page.getByTestId('clusters-suggestion').textContent()) ?? '',
      )?.[1],
    );
    expect(suggested).toBeGreaterThanOrEqual(2);
    expect(suggested).toBeLessThanOrEqual(6);
    await expect(page.getByTestId('clusters-k')).toHaveValue(String(suggested));
    const started = Date.now();
    await page.getByTestId('clusters-run').click();
    await expect(page.getByTestId('cluster')).toHaveCount(suggested);
    console.log(`k-means k=${suggested} on ${TOTAL} chunks: ${Date.now() - started} ms in the UI`);
    await expect(page.getByTestId('clusters-summary')).toContainText(
      `${suggested} clusters of ${TOTAL} chunks`,
    );
    const sizes = (await page.getByTestId('cluster-size').allTextContents()).map((s) =>
      Number.parseInt(s, 10),
    );
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(TOTAL);
    const example = page.getByTestId('cluster-example').first();
    const exampleDoc = (await example.locator('code').textContent()) ?? '';
    await example.click();
    await expect(page.getByRole('region', { name: 'Document' }).getByRole('heading')).toHaveText(
      exampleDoc,
    );
    await expect(page.getByTestId('chunk-highlight')).toBeVisible();
    await closeDocument(page);
    const csv = await downloadText(page, 'clusters-csv');
    expect(csv.name).toBe(`${MODEL_NAME}-clusters.csv`);
    const clusterRows = csvRows(csv.text);
    expect(clusterRows).toHaveLength(TOTAL);
    expect(Object.keys(clusterRows[0] ?? {})).toEqual(['chunk_id', 'doc_id', 'cluster', 'label']);
    expect(new Set(clusterRows.map((row) => row['cluster'])).size).toBe(suggested);
    expect(clusterRows.some((row) => row['doc_id'] === exampleDoc)).toBe(true);

    // The saved result comes back when Explore is opened again.
    await nav.getByRole('button', { name: 'Library' }).click();
    await nav.getByRole('button', { name: 'Explore' }).click();
    await tools.getByRole('button', { name: 'Clusters' }).click();
    await expect(page.getByTestId('clusters-summary')).toContainText(
      `${suggested} clusters of ${TOTAL} chunks`,
    );

    // Duplicates: the twins pair at cosine 1 even at a 0.99 threshold.
    await tools.getByRole('button', { name: 'Duplicates' }).click();
    await page.getByTestId('duplicates-threshold').fill('0.99');
    await page.getByTestId('duplicates-run').click();
    await expect(page.getByTestId('duplicates-summary')).toContainText(`among ${TOTAL} chunks`);
    const first = page.getByTestId('duplicate-pair').first();
    await expect(first).toContainText('twin-a');
    await expect(first).toContainText('twin-b');
    await expect(first).toContainText('1.0000');
    const pairs = csvRows((await downloadText(page, 'duplicates-pairs-csv')).text);
    expect(pairs.some((row) => row['a'] === 'twin-a#0' && row['b'] === 'twin-b#0')).toBe(true);
    expect(pairs.every((row) => Number(row['score']) >= 0.99)).toBe(true);
    const groups = (await downloadText(page, 'duplicates-groups-jsonl')).text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { members: string[] });
    expect(
      groups.some((g) => g.members.includes('twin-a#0') && g.members.includes('twin-b#0')),
    ).toBe(true);

    // Path: from one note to another, each end nearest itself.
    await tools.getByRole('button', { name: 'Path' }).click();
    await page.getByTestId('path-from').fill(documentText(10));
    await page.getByTestId('path-to-chunk').fill(`${docId(200)}#0`);
    await page
      .getByRole('region', { name: 'Path' })
      .getByRole('button', { name: 'Use chunk' })
      .last()
      .click();
    await expect(page.getByTestId('path-to')).toHaveValue(documentText(200));
    await page.getByTestId('path-run').click();
    const steps = page.getByTestId('path-step');
    await expect(steps).toHaveCount(8);
    await expect(steps.first().getByTestId('path-hit')).toHaveCount(3);
    await expect(steps.first().getByTestId('path-hit').first()).toContainText(docId(10));
    await expect(steps.last().getByTestId('path-hit').first()).toContainText(docId(200));
    await steps.last().getByTestId('path-hit').first().getByRole('button').click();
    await expect(page.getByTestId('chunk-highlight')).toContainText('Note 200:');
    await closeDocument(page);

    // Similarity: three texts, a heatmap, and the matrix as CSV.
    await tools.getByRole('button', { name: 'Similarity' }).click();
    const texts = [documentText(1), documentText(2), TWIN_TEXT];
    await page.getByTestId('similarity-input').fill(texts.join('\n'));
    await page.getByTestId('similarity-run').click();
    await expect(page.getByTestId('similarity-heatmap').locator('canvas').first()).toBeVisible();
    const matrix = Papa.parse<string[]>((await downloadText(page, 'similarity-csv')).text, {
      skipEmptyLines: true,
    }).data;
    expect(matrix).toHaveLength(4);
    expect(matrix[0]).toEqual(['text', ...texts]);
    for (let i = 0; i < 3; i++) {
      const row = matrix[i + 1] ?? [];
      expect(row).toHaveLength(4);
      expect(row[0]).toBe(texts[i]);
      expect(row[i + 1]).toBe('1.000');
      for (let j = 0; j < 3; j++) expect(row[j + 1]).toBe(matrix[j + 1]?.[i + 1]);
    }
    const png = await downloadText(page, 'similarity-heatmap-png');
    expect(png.name).toBe('similarity.png');
  } finally {
    // Closed before the folder goes, so a failure above is reported rather than a busy profile.
    await context?.close();
    await removeTempDir(root);
  }
});
