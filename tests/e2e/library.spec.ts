import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addFiles, openApp, outcome, removeTempDir, sharedDir, waitForJobDone } from './helpers.ts';

async function counts(page: Page) {
  return page.getByTestId('dataset-counts').textContent();
}

test('bring files, see per-file messages, chunk with the MiniLM tokenizer, and find it all after a restart', async () => {
  const profile = mkdtempSync(join(tmpdir(), 'lumina-profile-'));
  try {
    let { context, page } = await openApp(profile);

    await page.getByLabel('New dataset name').fill('Science');
    await page.getByRole('button', { name: 'Create' }).click();
    await expect(page.getByTestId('dataset-title')).toHaveText('Science');

    const jsonl = [
      JSON.stringify({
        _id: 'q1',
        text: 'Vitamin D lowers the risk of fractures.',
        topic: 'bones',
      }),
      '{ this line is broken',
      JSON.stringify({
        _id: 'q2',
        text: 'Aspirin reduces the risk of heart attacks.',
        topic: 'heart',
      }),
    ].join('\n');
    await addFiles(page, [
      join(sharedDir, 'datasets/stsb/sts-dev.csv'),
      { name: 'claims.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(jsonl) },
      { name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) },
      {
        name: 'image.bin',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from([0, 1, 2, 3]),
      },
    ]);
    await waitForJobDone(page);
    await expect(outcome(page, 'claims.jsonl')).toContainText('added');
    await expect(outcome(page, 'claims.jsonl')).toContainText(':2');
    await expect(outcome(page, 'empty.txt')).toContainText('failed');
    await expect(outcome(page, 'image.bin')).toContainText(/unsupported/i);
    await expect(outcome(page, 'sts-dev.csv')).toContainText('added');

    // The same file again is recognised by its content and skipped.
    await addFiles(page, [
      { name: 'claims-copy.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(jsonl) },
    ]);
    await waitForJobDone(page);
    await expect(outcome(page, 'claims-copy.jsonl')).toContainText('duplicate');

    await page.getByTestId('tokenizer-select').selectOption({ label: 'all-MiniLM-L6-v2' });
    await page.getByTestId('chunk-tokens').fill('16');
    await page.getByTestId('chunk-overlap').fill('4');
    await page.getByRole('button', { name: 'Chunk dataset' }).click();
    await waitForJobDone(page);
    await expect(page.getByTestId('job-notice')).toContainText('chunks');

    await page.getByTestId('document-item').filter({ hasText: 'q1' }).click();
    await expect(page.getByTestId('chunk-highlight')).toContainText('Vitamin D');
    const before = await counts(page);
    expect(before).toMatch(/\d+ documents · \d+ chunks/);
    await context.close();

    ({ context, page } = await openApp(profile));
    await expect(page.getByTestId('dataset-title')).toHaveText('Science');
    expect(await counts(page)).toBe(before);
    await page.getByTestId('document-item').filter({ hasText: 'q2' }).click();
    await expect(page.getByTestId('chunk-highlight')).toContainText('Aspirin');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete dataset' }).click();
    await expect(page.getByTestId('dataset-item')).toHaveCount(0);
    await context.close();
  } finally {
    await removeTempDir(profile);
  }
});
