import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import {
  createChunkedDataset,
  DOCUMENTS,
  MODEL_NAME,
  writeTinyModel,
} from './embedding-fixtures.ts';
import { openApp, removeTempDir } from './helpers.ts';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Every file under `dir` by its path relative to it, with forward slashes. */
function readFolder(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path).split('\\').join('/'), new Uint8Array(readFileSync(path)));
  }
  return files;
}

test('import a model zip, embed with it, and download it back as the same files', async () => {
  test.setTimeout(240_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-models-'));
  try {
    const modelDir = await writeTinyModel(root);
    const folder = readFolder(modelDir);
    expect(folder.has('onnx/model.onnx')).toBe(true);
    // Zipped the way a file manager does: everything inside one top-level folder.
    const zip = zipSync(
      Object.fromEntries([...folder].map(([path, bytes]) => [`${MODEL_NAME}/${path}`, bytes])),
    );

    const { context, page } = await openApp(join(root, 'profile'));
    await createChunkedDataset(page, 'Model notes');
    await page.getByTestId('model-kind').selectOption('stored');
    await page.getByTestId('model-import-zip').setInputFiles({
      name: `${MODEL_NAME}.zip`,
      mimeType: 'application/zip',
      buffer: Buffer.from(zip),
    });
    await expect(page.getByTestId('embed-notice')).toContainText(
      `Imported the model ${MODEL_NAME}`,
    );
    const select = page.getByTestId('stored-model-select');
    await expect(select.locator('option:checked')).toContainText(
      `${MODEL_NAME} (${folder.size} files`,
    );

    await page.getByTestId('device-select').selectOption('wasm');
    await page.getByTestId('token-budget').fill('4096');
    await page.getByRole('button', { name: 'Start embedding' }).click();
    await expect(page.getByTestId('embed-notice')).toContainText(`Embedded ${DOCUMENTS} chunks`, {
      timeout: 120_000,
    });

    const downloading = page.waitForEvent('download');
    await page.getByTestId('model-download-zip').click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`${MODEL_NAME}.zip`);
    const downloaded = unzipSync(new Uint8Array(readFileSync(await download.path())));
    // HF paths at the zip root, every file byte for byte.
    expect(Object.keys(downloaded).sort()).toEqual([...folder.keys()].sort());
    const onnx = downloaded['onnx/model.onnx'] ?? new Uint8Array();
    expect(sha256(onnx)).toBe(sha256(folder.get('onnx/model.onnx') ?? new Uint8Array(1)));
    for (const [path, bytes] of folder)
      expect(sha256(downloaded[path] ?? new Uint8Array())).toBe(sha256(bytes));

    // A zip that cannot run is refused with what is missing, and nothing is added.
    const broken = zipSync({ 'config.json': folder.get('config.json') ?? new Uint8Array() });
    await page.getByTestId('model-import-zip').setInputFiles({
      name: 'broken.zip',
      mimeType: 'application/zip',
      buffer: Buffer.from(broken),
    });
    await expect(page.getByTestId('embed-error')).toContainText('tokenizer.json is missing');
    await expect(page.getByTestId('embed-error')).toContainText('onnx/model.onnx is missing');
    await expect(select.locator('option')).toHaveCount(1);

    // A picked folder imports the same way, and a picked folder downloads as the same zip.
    await page.getByTestId('model-import-folder').setInputFiles(modelDir);
    await expect(page.getByTestId('embed-notice')).toContainText(
      `Imported the model ${MODEL_NAME}`,
    );
    await expect(select.locator('option')).toHaveCount(2);
    await page.getByTestId('model-kind').selectOption('folder');
    await page.getByTestId('model-folder-input').setInputFiles(modelDir);
    const zippingFolder = page.waitForEvent('download');
    await page.getByTestId('model-download-zip').click();
    const folderZip = unzipSync(new Uint8Array(readFileSync(await (await zippingFolder).path())));
    expect(Object.keys(folderZip).sort()).toEqual([...folder.keys()].sort());
    for (const [path, bytes] of folder)
      expect(sha256(folderZip[path] ?? new Uint8Array())).toBe(sha256(bytes));
    await context.close();
  } finally {
    await removeTempDir(root);
  }
});
