import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readBundle } from '../../src/core/bundle/index.ts';
import {
  chooseModel,
  createChunkedDataset,
  embedWithModel,
  documentText,
  DOCUMENTS,
  MODEL_NAME,
  writeTinyModel,
} from './embedding-fixtures.ts';
import { openApp, removeTempDir } from './helpers.ts';

interface StoredSet {
  chunkIds: string[];
  vectors: Record<string, number[]>;
  datasetChunks: number;
}

/** Reads the set's blocks straight from IndexedDB, as nothing in the app exposes them. */
function readSet(page: Page, datasetName: string): Promise<StoredSet> {
  return page.evaluate(
    async ({ datasetName, setId }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open('lumina');
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error('open failed'));
      });
      const all = <T>(store: string) =>
        new Promise<T[]>((resolve, reject) => {
          const request = db.transaction(store).objectStore(store).getAll();
          request.onsuccess = () => resolve(request.result as T[]);
          request.onerror = () => reject(request.error ?? new Error('read failed'));
        });
      const datasets = await all<{ id: string; name: string; chunkCount: number }>('datasets');
      const dataset = datasets.find((d) => d.name === datasetName);
      if (!dataset) throw new Error(`no dataset ${datasetName}`);
      type Block = {
        datasetId: string;
        setId: string;
        blockIndex: number;
        dims: number;
        count: number;
        vectors: Float32Array;
        chunkIds: string[];
      };
      const blocks = (await all<Block>('embeddingBlocks'))
        .filter((b) => b.datasetId === dataset.id && b.setId === setId)
        .sort((a, b) => a.blockIndex - b.blockIndex);
      const chunkIds: string[] = [];
      const vectors: Record<string, number[]> = {};
      for (const block of blocks) {
        for (let row = 0; row < block.count; row++) {
          const id = block.chunkIds[row] ?? '';
          chunkIds.push(id);
          vectors[id] = Array.from(
            block.vectors.subarray(row * block.dims, (row + 1) * block.dims),
          );
        }
      }
      db.close();
      return { chunkIds, vectors, datasetChunks: dataset.chunkCount };
    },
    { datasetName, setId: MODEL_NAME },
  );
}

test('embed with a picked model folder, survive a closed tab mid-job, resume, and search', async () => {
  test.setTimeout(300_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-embed-'));
  const profile = join(root, 'profile');
  try {
    const modelDir = await writeTinyModel(root);
    let { context, page } = await openApp(profile);
    await createChunkedDataset(page, 'Notes');
    await chooseModel(page, modelDir);

    // Auto measures the model on each device and says which it took and why.
    await page.getByTestId('device-select').selectOption('auto');
    await page.getByRole('button', { name: 'Measure devices' }).click();
    await expect(page.getByTestId('device-choice')).toContainText('WASM', { timeout: 120_000 });
    await page.getByTestId('device-select').selectOption('wasm');

    await page.getByRole('button', { name: 'Start embedding' }).click();
    await expect
      .poll(async () => Number((await page.getByTestId('embed-done').textContent()) ?? 0), {
        intervals: [20],
        timeout: 120_000,
      })
      .toBeGreaterThan(DOCUMENTS * 0.2);
    await context.close();

    ({ context, page } = await openApp(profile));
    await expect(page.getByTestId('dataset-title')).toHaveText('Notes');
    await expect(page.getByTestId('embed-unfinished')).toContainText(MODEL_NAME);
    await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
    await chooseModel(page, modelDir);
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByTestId('embed-notice')).toContainText(`Embedded ${DOCUMENTS} chunks`, {
      timeout: 120_000,
    });
    await expect(page.getByTestId('embed-unfinished')).toHaveCount(0);

    const resumed = await readSet(page, 'Notes');
    expect(resumed.datasetChunks).toBe(DOCUMENTS);
    expect(resumed.chunkIds).toHaveLength(DOCUMENTS);
    expect(new Set(resumed.chunkIds).size).toBe(DOCUMENTS);

    // The text of a document is its own nearest neighbour (cosine 1).
    await page.getByTestId('search-query').fill(documentText(42));
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const first = page.getByTestId('search-hit').first();
    await expect(first).toContainText('d042');
    await expect(first).toContainText('1.000');
    await first.click();
    await expect(page.getByTestId('chunk-highlight')).toContainText('Note 42:');

    // The same documents embedded without interruption give the same vectors.
    await createChunkedDataset(page, 'Notes again');
    await chooseModel(page, modelDir);
    await page.getByRole('button', { name: 'Start embedding' }).click();
    await expect(page.getByTestId('embed-notice')).toContainText(`Embedded ${DOCUMENTS} chunks`, {
      timeout: 120_000,
    });
    const uninterrupted = await readSet(page, 'Notes again');
    expect(new Set(uninterrupted.chunkIds)).toEqual(new Set(resumed.chunkIds));
    for (const id of resumed.chunkIds) {
      const a = resumed.vectors[id] ?? [];
      const b = uninterrupted.vectors[id] ?? [];
      expect(a).toHaveLength(32);
      expect(Math.max(...a.map((x, i) => Math.abs(x - (b[i] ?? Infinity))))).toBeLessThan(1e-6);
    }
    await context.close();
  } finally {
    await removeTempDir(root);
  }
});

test('export a finished set as a bundle that reads back in Node and imports back, once', async () => {
  test.setTimeout(240_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-export-'));
  try {
    const modelDir = await writeTinyModel(root);
    const { context, page } = await openApp(join(root, 'profile'));
    await createChunkedDataset(page, 'Export notes');
    await embedWithModel(page, modelDir);

    const downloading = page.waitForEvent('download');
    await page.getByTestId('export-bundle').click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('Export notes.lumina');
    const bundlePath = await download.path();
    // Headless Chromium on Linux cannot share files: Share… downloads the same bundle instead.
    const sharing = page.waitForEvent('download');
    await page.getByTestId('share-bundle').click();
    const shared = await sharing;
    expect(shared.suggestedFilename()).toBe('Export notes.lumina');
    await expect(page.getByTestId('embed-notice')).toContainText('cannot share files');
    const bundle = await readBundle(readFileSync(bundlePath));
    // The same set again; only the manifest's creation time may differ between the two files.
    const sharedBundle = await readBundle(readFileSync(await shared.path()));
    expect({ ...sharedBundle.manifest, created: '' }).toEqual({ ...bundle.manifest, created: '' });
    expect(sharedBundle.embeddings).toEqual(bundle.embeddings);

    // Importing the bundle makes a searchable dataset; importing it again adds nothing.
    const importBundle = async () => {
      await page.getByTestId('bundle-input').setInputFiles({
        name: 'shared notes.lumina',
        mimeType: 'application/zip',
        buffer: readFileSync(bundlePath),
      });
      await expect(page.getByTestId('job-percent')).toHaveCount(0, { timeout: 60_000 });
    };
    await importBundle();
    await expect(page.getByTestId('dataset-title')).toHaveText('shared notes');
    await expect(page.getByTestId('dataset-counts')).toContainText(
      `${DOCUMENTS} documents · ${DOCUMENTS} chunks`,
    );
    const datasets = page.getByTestId('dataset-item');
    const before = await datasets.count();
    await importBundle();
    await expect(page.getByTestId('job-notice')).toContainText('nothing was added');
    await expect(datasets).toHaveCount(before);
    await page.getByRole('navigation').getByRole('button', { name: 'Explore' }).click();
    await expect(page.getByTestId('explore-set')).toHaveValue(MODEL_NAME);
    await page.getByTestId('search-mode').selectOption('lexical');
    await page.getByTestId('explore-query').fill(`sample ${42 * 17}`);
    await page
      .getByRole('region', { name: 'Search' })
      .getByRole('button', { name: 'Search', exact: true })
      .click();
    await expect(page.getByTestId('explore-hit').first()).toContainText('d042');
    await context.close();

    const { manifest } = bundle;
    expect(manifest.counts).toEqual({ documents: DOCUMENTS, chunks: DOCUMENTS });
    expect(manifest.missingDocEmbeddings).toEqual([]);
    expect(manifest.model).toMatchObject({
      id: MODEL_NAME,
      revision: null,
      weightsSha256: createHash('sha256')
        .update(readFileSync(join(modelDir, 'onnx/model.onnx')))
        .digest('hex'),
      dims: 32,
      pooling: 'mean',
      normalize: true,
      dtype: 'fp32',
      queryPrefix: '',
      documentPrefix: '',
    });
    expect(manifest.model.maxTokens).toBeGreaterThan(0);
    expect(manifest.chunking).toMatchObject({ chunkTokens: 128, overlapTokens: 0 });
    expect(bundle.embeddings).toHaveLength(DOCUMENTS * 32);
    expect(bundle.docEmbeddings).toHaveLength(DOCUMENTS * 32);
    const ids = bundle.chunks.map((chunk) => `${chunk.docId}#${chunk.chunkIndex}`);
    expect(new Set(ids).size).toBe(DOCUMENTS);
    expect(ids.every((id) => /^d\d{3}#0$/.test(id))).toBe(true);
    const first = bundle.chunks.find((chunk) => chunk.docId === 'd042');
    expect(first?.text).toBe(documentText(42));
  } finally {
    await removeTempDir(root);
  }
});
