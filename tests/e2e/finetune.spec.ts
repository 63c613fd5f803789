import { expect, test } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyModel } from './embedding-fixtures.ts';
import { removeTempDir, sharedDir } from './helpers.ts';

test('fine-tune a picked model folder on scored pairs: before/after table and an exported model', async ({
  page,
}) => {
  const root = mkdtempSync(join(tmpdir(), 'lumina-finetune-'));
  try {
    const modelDir = await writeTinyModel(root);
    // The first 120 STS-B training pairs, in the benchmark's own headerless format.
    const pairs = readFileSync(join(sharedDir, 'datasets/stsb/sts-train.csv'), 'utf8')
      .split('\n')
      .slice(0, 120)
      .join('\n');

    await page.goto('/');
    await page.getByRole('navigation').getByRole('button', { name: 'Train' }).click();
    const panel = page.getByTestId('finetune-panel');
    await panel.locator('input[webkitdirectory]').setInputFiles(modelDir);
    await expect(panel).toContainText('Folder: tiny-minilm');
    await panel.getByLabel('Preset').selectOption('cosine-scored');
    await panel.getByLabel('Training file (JSONL, CSV or TSV)').setInputFiles({
      name: 'sts-train-120.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(pairs),
    });
    await panel.getByLabel('Max steps').fill('4');
    await panel.getByLabel('Max steps').dispatchEvent('change');
    await panel.getByLabel('Backend').selectOption('wasm');
    await panel.getByRole('button', { name: 'Fine-tune' }).click();

    const table = panel.getByTestId('finetune-before-after');
    await expect(table).toContainText('spearman', { timeout: 120_000 });
    // Before and after are measured numbers on the held-out pairs, and 4 steps ran.
    const spearman = table.locator('tr', { hasText: 'spearman' }).locator('td');
    for (const column of [1, 2]) {
      expect(Number(await spearman.nth(column).textContent())).toBeGreaterThan(-1);
    }
    await expect(panel).toContainText('in 4 steps');

    // The fine-tuned model is saved in this browser and downloads as an HF-layout zip.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByRole('button', { name: 'Download zip' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
  } finally {
    removeTempDir(root);
  }
});
