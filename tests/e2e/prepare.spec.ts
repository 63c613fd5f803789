import { expect, test } from '@playwright/test';
import { parquetReadObjects } from 'hyparquet';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addFiles, sharedDir, waitForJobDone } from './helpers.ts';

test('prepare WikiText: cleaning counts, split, Parquet export', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
  await page.getByLabel('New dataset name').fill('Wiki');
  await page.getByRole('button', { name: 'Create' }).click();
  await addFiles(page, [join(sharedDir, 'datasets/wikitext-2/valid.txt')]);
  await waitForJobDone(page);

  await page.getByRole('navigation').getByRole('button', { name: 'Prepare' }).click();
  await page.getByTestId('paragraph-mode').selectOption('split');
  await page.getByTestId('prepare-run').click();
  await waitForJobDone(page);
  const report = page.getByTestId('prepare-report');
  await expect(report).toContainText('texts from 1 documents');
  await expect(report).toContainText(/train\s+\d+\s+·\s+validation\s+\d+\s+·\s+test\s+\d+/);

  const downloadPromise = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export Parquet' }).click();
  const download = await downloadPromise;
  const path = await download.path();
  const bytes = readFileSync(path);
  const rows = await parquetReadObjects({
    file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  });
  expect(rows.length).toBeGreaterThan(1000);
  expect(Object.keys(rows[0] ?? {})).toEqual(
    expect.arrayContaining(['text_id', 'text', 'token_count', 'char_count', 'split']),
  );
  expect(rows.some((r) => String(r.text).includes('@-@'))).toBe(false);
});
