import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import {
  createChunkedDataset,
  embedWithModel,
  documentQuestion,
  documentText,
  DOCUMENTS,
  MODEL_NAME,
  writeTinyModel,
} from './embedding-fixtures.ts';
import { openApp, removeTempDir } from './helpers.ts';

test('explore: semantic, keyword and hybrid search, filters, more like this, batch and Q&A', async () => {
  test.setTimeout(240_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-explore-'));
  try {
    const modelDir = await writeTinyModel(root);
    const { context, page } = await openApp(join(root, 'profile'));
    await createChunkedDataset(page, 'Notes');
    await embedWithModel(page, modelDir);

    await page.getByRole('navigation').getByRole('button', { name: 'Explore' }).click();
    await expect(page.getByTestId('explore-set')).toHaveValue(MODEL_NAME);
    const hits = page.getByTestId('explore-hit');
    const search = async (query: string) => {
      await page.getByTestId('explore-query').fill(query);
      await page
        .getByRole('region', { name: 'Search' })
        .getByRole('button', { name: 'Search', exact: true })
        .click();
    };

    // Semantic: a document's own text is its nearest neighbour, scored on WebAssembly SIMD.
    await search(documentText(42));
    await expect(hits.first()).toContainText('d042');
    await expect(hits.first()).toContainText('1.000');
    await expect(hits).toHaveCount(10);
    await expect(page.getByTestId('search-summary')).toContainText('vectors scored with wasm');
    await hits.first().getByRole('button').first().click();
    await expect(page.getByTestId('chunk-highlight')).toContainText('Note 42:');

    // More like this leaves the chunk it started from out.
    await hits.first().getByTestId('more-like-this').click();
    await expect(page.getByTestId('search-summary')).toContainText('More like d042#0');
    await expect(hits).toHaveCount(10);
    await expect(hits.filter({ hasText: 'd042' })).toHaveCount(0);

    // Keyword search finds the one note with this sample number.
    await page.getByTestId('search-mode').selectOption('lexical');
    await search(`sample ${42 * 17}`);
    await expect(hits.first()).toContainText('d042');
    await expect(page.getByTestId('search-summary')).not.toContainText('vectors scored');

    // Hybrid: first in both lists, so first fused; each hit shows both ranks.
    await page.getByTestId('search-mode').selectOption('hybrid');
    await search(documentText(42));
    await expect(hits.first()).toContainText('d042');
    await expect(hits.first()).toContainText('semantic #1 · keyword #1');

    // A metadata filter keeps only the matching document, in any mode.
    await page.getByText('Options and filters').click();
    await page.getByTestId('filter-metadata').fill(`question=${documentQuestion(7)}`);
    await search(documentText(42));
    await expect(hits).toHaveCount(1);
    await expect(hits.first()).toContainText('d007');
    await page.getByTestId('filter-metadata').fill('');

    // Batch search: a file of queries in, the top-k of each out as CSV.
    await page.getByTestId('search-mode').selectOption('semantic');
    await page.getByTestId('batch-file').setInputFiles({
      name: 'queries.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from([1, 2, 3].map(documentText).join('\n')),
    });
    await expect(page.getByTestId('batch-status')).toContainText('3 queries → 30 results');
    const downloading = page.waitForEvent('download');
    await page.getByTestId('batch-csv').click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('queries-results.csv');
    const rows = Papa.parse<Record<string, string>>(readFileSync(await download.path(), 'utf8'), {
      header: true,
      skipEmptyLines: true,
    }).data;
    expect(rows).toHaveLength(30);
    const firsts = rows.filter((row) => row['rank'] === '1');
    expect(firsts.map((row) => row['doc_id'])).toEqual(['d001', 'd002', 'd003']);

    // Q&A retrieval: every note's question asked by keyword finds its own note.
    await page.getByTestId('search-mode').selectOption('lexical');
    await page.getByTestId('question-field').fill('question');
    await page.getByTestId('qa-evaluate').click();
    await expect(page.getByTestId('qa-scores')).toContainText(`${DOCUMENTS} questions`, {
      timeout: 60_000,
    });
    await expect(page.getByTestId('qa-scores')).toContainText('hit@10 100.0 %');
    await context.close();
  } finally {
    await removeTempDir(root);
  }
});
