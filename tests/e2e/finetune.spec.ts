import { expect, test } from '@playwright/test';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
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
    await removeTempDir(root);
  }
});

/** Every file under `dir`, by its path relative to it. */
function filesUnder(dir: string, root = dir): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      for (const [path, bytes] of filesUnder(full, root)) files.set(path, bytes);
    } else files.set(relative(root, full).split('\\').join('/'), readFileSync(full));
  }
  return files;
}

test('fine-tune a base model downloaded from a Hub (local stand-in) by its id', async ({
  page,
}) => {
  const root = mkdtempSync(join(tmpdir(), 'lumina-finetune-hub-'));
  const files = filesUnder(await writeTinyModel(root));
  const requested: string[] = [];
  const prefix = '/lumina-test/tiny-bert/resolve/main/';
  // The Hub's URL scheme, with the CORS and CORP headers the cross-origin-isolated app needs.
  const server = createServer((request, response) => {
    const url = request.url ?? '';
    requested.push(url);
    const bytes = url.startsWith(prefix) ? files.get(url.slice(prefix.length)) : undefined;
    const headers = {
      'access-control-allow-origin': '*',
      'cross-origin-resource-policy': 'cross-origin',
    };
    if (!bytes) response.writeHead(404, headers).end('Entry not found');
    else response.writeHead(200, { ...headers, 'content-length': bytes.byteLength }).end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const pairs = readFileSync(join(sharedDir, 'datasets/stsb/sts-train.csv'), 'utf8')
      .split('\n')
      .slice(0, 60)
      .join('\n');
    await page.goto('/');
    await page.getByRole('navigation').getByRole('button', { name: 'Train' }).click();
    const panel = page.getByTestId('finetune-panel');
    await panel.getByLabel('Hub endpoint').fill(hubUrl);
    await panel.getByLabel('or a Hugging Face Hub id').fill('lumina-test/tiny-bert');
    await panel.getByLabel('or a Hugging Face Hub id').dispatchEvent('change');
    await expect(panel).toContainText('Hub model: lumina-test/tiny-bert (main)');
    await panel.getByLabel('Preset').selectOption('cosine-scored');
    await panel.getByLabel('Training file (JSONL, CSV or TSV)').setInputFiles({
      name: 'sts-train-60.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(pairs),
    });
    await panel.getByLabel('Max steps').fill('2');
    await panel.getByLabel('Max steps').dispatchEvent('change');
    await panel.getByLabel('Backend').selectOption('wasm');
    await panel.getByRole('button', { name: 'Fine-tune' }).click();
    const table = panel.getByTestId('finetune-before-after');
    await expect(table).toContainText('spearman', { timeout: 120_000 });
    await expect(panel).toContainText('in 2 steps');
    // The weights came from the stand-in: safetensors, not the ONNX graph.
    expect(requested).toContain(`${prefix}model.safetensors`);
    expect(requested.some((url) => url.endsWith('.onnx'))).toBe(false);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await removeTempDir(root);
  }
});
