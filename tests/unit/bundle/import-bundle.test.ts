import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bundleFromStore,
  readBundle,
  writeBundle,
  type BundleChunk,
  type BundleInput,
} from '../../../src/core/bundle/index.ts';
import { importBundle } from '../../../src/core/bundle/import-bundle.ts';
import { getEmbedJob, readEmbedCursor } from '../../../src/core/embed/job/index.ts';
import type { LuminaStore } from '../../../src/core/store/index.ts';
import { openTestStore } from '../embed/job/fixtures.ts';
import { DIMS, sampleInput, sampleInputWithTexts } from './fixtures.ts';

/** The element at `i`, which the test knows is there. */
function item<T>(list: readonly T[], i: number): T {
  const value = list[i];
  if (value === undefined) throw new Error(`no element ${i}`);
  return value;
}

async function bundleOf(input: BundleInput): Promise<Uint8Array> {
  return writeBundle(input);
}

let store: LuminaStore;
beforeEach(async () => {
  store = await openTestStore();
});
afterEach(() => store.close());

describe('importBundle', () => {
  it('turns a valid bundle into a dataset with a finished embedding set', async () => {
    const input = sampleInputWithTexts();
    const bytes = await bundleOf(input);
    const events: number[] = [];
    const result = await importBundle(store, bytes, {
      name: 'imported',
      onProgress: (event) => events.push(event.fraction),
    });
    expect(result.duplicate).toBe(false);
    expect(result.setId).toBe(input.model.id);
    expect(result.chunks).toBe(4);
    expect(result.documents).toBe(4);
    expect(events.at(-1)).toBe(1);
    expect(events).toEqual([...events].sort((a, b) => a - b));

    const dataset = await store.getDataset(result.datasetId);
    expect(dataset?.name).toBe('imported');
    expect(dataset?.chunkCount).toBe(4);
    expect(dataset?.documentCount).toBe(4);
    expect(dataset?.chunking).toEqual(input.chunking);

    const docA = await store.getDocument(result.datasetId, 'doc-a');
    expect(docA?.text).toBe(input.documents[0]?.text);
    const chunks = await store.listChunks(result.datasetId, 'doc-a');
    expect(chunks.map((c) => [c.id, c.charStart, c.charEnd, c.text])).toEqual(
      input.chunks
        .slice(0, 2)
        .map((c) => [`doc-a#${c.chunkIndex}`, c.charStart, c.charEnd, c.text]),
    );

    const found = await getEmbedJob(store, result.datasetId, result.setId);
    if (!found) throw new Error('the import recorded no embed job');
    expect(found.job.state).toBe('done');
    expect(readEmbedCursor(found.job).rows).toBe(4);
    const blocks = await store.listEmbeddingBlocks(result.datasetId, result.setId);
    expect(blocks[0]?.count).toBe(4);
    expect(Array.from(item(blocks, 0).vectors.subarray(0, 4 * DIMS))).toEqual(
      Array.from(input.embeddings),
    );
    const docBlocks = await store.listEmbeddingBlocks(result.datasetId, result.documentSetId);
    expect(docBlocks[0]?.chunkIds).toEqual(['doc-a', 'doc-b']);

    // The imported set exports back to the same records (a full round trip through the store).
    const back = await bundleFromStore(store, result.datasetId, result.setId, {
      appVersion: '0.1.0',
    });
    // Chunk metadata comes back as the document's (the store keeps metadata per document).
    const withoutMetadata = (chunks: readonly BundleChunk[]) =>
      chunks.map((chunk) => ({ ...chunk, metadata: {} }));
    expect(withoutMetadata(back.chunks)).toEqual(withoutMetadata(input.chunks));
    expect(item(back.chunks, 0).metadata).toEqual(item(input.documents, 0).metadata);
    expect(Array.from(back.embeddings)).toEqual(Array.from(input.embeddings));
    expect(Array.from(back.docEmbeddings)).toEqual(Array.from(input.docEmbeddings));
    expect(back.model).toEqual(input.model);
    const reread = await readBundle(await writeBundle({ ...back, created: input.created }));
    expect(reread.manifest.counts).toEqual({ documents: 2, chunks: 4 });
  });

  it('rebuilds document texts from chunks when the bundle has none', async () => {
    const input = sampleInput();
    const result = await importBundle(store, await bundleOf(input));
    const doc = await store.getDocument(result.datasetId, 'doc-a');
    const a0 = item(input.chunks, 0);
    const a1 = item(input.chunks, 1);
    expect(doc?.charCount).toBe(input.documents[0]?.charCount);
    expect(doc?.text.slice(a0.charStart, a0.charEnd)).toBe(a0.text);
    expect(doc?.text.slice(a1.charStart, a1.charEnd)).toBe(a1.text);
    const files = await store.listFiles(result.datasetId);
    expect(files[0]?.messages[0]?.message).toMatch(/rebuilt from its chunks/);
    expect(await store.getDocument(result.datasetId, 'doc-empty')).toMatchObject({ text: '' });
  });

  it('imports the same bundle only once', async () => {
    const bytes = await bundleOf(sampleInput());
    const first = await importBundle(store, bytes);
    const second = await importBundle(store, new Blob([bytes]));
    expect(second.duplicate).toBe(true);
    expect(second.datasetId).toBe(first.datasetId);
    expect(second.message).toMatch(/already imported/);
    expect(await store.listDatasets()).toHaveLength(1);
  });

  it('rolls back the new dataset when the import is aborted while writing', async () => {
    const bytes = await bundleOf(sampleInput());
    const controller = new AbortController();
    const run = importBundle(store, bytes, {
      signal: controller.signal,
      onProgress: (event) => {
        if (event.message === 'documents written') controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(await store.listDatasets()).toHaveLength(0);
  });
});
