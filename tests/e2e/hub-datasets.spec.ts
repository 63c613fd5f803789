import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHubStandIn, type HubStandIn } from '../../tools/hub-local/server.ts';
import { outcome, sharedDir, waitForJobDone } from './helpers.ts';

const corpusIds = readFileSync(join(sharedDir, 'datasets/scifact/corpus.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => (JSON.parse(line) as { _id: string })._id);

let standIn: HubStandIn;
test.beforeAll(async () => {
  standIn = await startHubStandIn({ sharedDir, port: 0 });
});
test.afterAll(() => standIn.close());

async function openHubImport(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Lumina' })).toBeVisible();
  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
  const hub = page.getByTestId('hub-import');
  await hub.locator('summary', { hasText: 'From Hugging Face' }).click();
  await hub.locator('summary', { hasText: 'Hub endpoint' }).click();
  await page.getByTestId('hub-viewer-url').fill(standIn.url);
  await page.getByTestId('hub-hub-url').fill(standIn.url);
  await page.getByTestId('hub-save-endpoint').click();
}

test('imports BeIR/scifact from a Hub stand-in with a row limit, once', async ({ page }) => {
  await openHubImport(page);
  const limit = 120;

  await page.getByTestId('hub-dataset-id').fill('nobody/missing');
  await page.getByTestId('hub-look-up').click();
  await expect(page.getByTestId('hub-error')).toContainText('was not found on the Hub');

  await page.getByTestId('hub-dataset-id').fill('BeIR/scifact');
  await page.getByTestId('hub-look-up').click();
  await expect(page.getByTestId('hub-split')).toContainText('corpus / corpus (5,183 rows)');
  await expect(page.getByTestId('hub-text-column')).toHaveValue('text');
  await expect(page.getByTestId('hub-id-column')).toHaveValue('_id');
  await page.getByTestId('hub-limit').fill(String(limit));
  standIn.resetCounters();
  await page.getByTestId('hub-import-button').click();
  await waitForJobDone(page);

  const source = 'hf://datasets/BeIR/scifact/corpus/corpus';
  await expect(outcome(page, source)).toContainText('added');
  await expect(page.getByTestId('dataset-title')).toHaveText('BeIR/scifact');
  await expect(page.getByTestId('dataset-counts')).toContainText(`${limit} documents`);
  const firstId = [...corpusIds.slice(0, limit)].sort()[0] ?? '';
  await expect(page.getByTestId('document-item').first().locator('code')).toHaveText(firstId);
  const served = standIn.bytesServed();
  console.log(`e2e limit ${limit}: ${served} parquet bytes served`);
  expect(served).toBeGreaterThan(0);

  // The same rows again add nothing.
  await page.getByTestId('hub-import-button').click();
  await waitForJobDone(page);
  await expect(outcome(page, source)).toContainText('duplicate');
  await expect(page.getByTestId('dataset-counts')).toContainText(`${limit} documents`);

  // The endpoint setting survives a reload.
  await page.reload();
  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
  await page.getByTestId('hub-import').locator('summary', { hasText: 'From Hugging Face' }).click();
  await page.getByTestId('hub-import').locator('summary', { hasText: 'Hub endpoint' }).click();
  await expect(page.getByTestId('hub-viewer-url')).toHaveValue(standIn.url);
});

test('says so when the browser is offline', async ({ page, context }) => {
  await openHubImport(page);
  await context.setOffline(true);
  await page.getByTestId('hub-dataset-id').fill('BeIR/scifact');
  await page.getByTestId('hub-look-up').click();
  await expect(page.getByTestId('hub-error')).toContainText('This browser is offline');
  await context.setOffline(false);
});
