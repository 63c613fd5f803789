import { describe, expect, it } from 'vitest';
import { defaultChunkOptions } from '../../../src/core/chunk/index.ts';
import { chunkDataset } from '../../../src/core/pipeline/chunk-dataset.ts';
import { prepareDataset } from '../../../src/core/pipeline/prepare-dataset.ts';
import { defaultPrepareOptions } from '../../../src/core/prepare/index.ts';
import type { Progress } from '../../../src/core/progress.ts';
import { whitespaceCounter } from '../../../src/core/tokenizer/index.ts';
import { storeWithDocuments } from '../store/indexeddb-env.ts';
import { minilmTokenizer, readShared } from '../../support/shared-data.ts';

const minilm = minilmTokenizer();
const wiki = readShared('datasets/wikitext-2/valid.txt');

describe('chunkDataset', () => {
  it('chunks every stored document with MiniLM tokens, records settings, and re-runs cleanly', async () => {
    const { store, datasetId } = await storeWithDocuments({
      wiki: wiki.slice(0, 60_000),
      short: 'A short text.',
    });
    const events: Progress[] = [];
    const first = await chunkDataset(
      store,
      datasetId,
      { ...defaultChunkOptions, chunkTokens: 128, overlapTokens: 16 },
      minilm,
      {
        onProgress: (e) => events.push(e),
      },
    );
    expect(first.documents).toBe(2);
    const chunks = await store.listChunks(datasetId, 'wiki');
    expect(chunks.length).toBe(first.chunks - 1);
    for (const c of chunks) {
      expect(c.tokenCount).toBeLessThanOrEqual(128);
      expect(wiki.slice(c.charStart, c.charEnd)).toBe(c.text);
    }
    const dataset = await store.getDataset(datasetId);
    expect(dataset?.chunkCount).toBe(first.chunks);
    expect(dataset?.chunking).toMatchObject({ chunkTokens: 128, overlapTokens: 16 });
    expect(dataset?.tokenizer).toBe('all-MiniLM-L6-v2');
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });

    const again = await chunkDataset(
      store,
      datasetId,
      { ...defaultChunkOptions, chunkTokens: 64, overlapTokens: 0 },
      minilm,
    );
    expect(again.chunks).toBeGreaterThan(first.chunks);
    expect((await store.getDataset(datasetId))?.chunkCount).toBe(again.chunks);
  });

  it('refuses settings that make no sense, naming the field', async () => {
    const { store, datasetId } = await storeWithDocuments({ a: 'text' });
    await expect(
      chunkDataset(
        store,
        datasetId,
        { ...defaultChunkOptions, chunkTokens: 16, overlapTokens: 16 },
        whitespaceCounter,
      ),
    ).rejects.toThrow(/overlap/i);
  });
});

describe('prepareDataset', () => {
  it('prepares WikiText and saves the texts with their split as a new dataset', async () => {
    const { store, datasetId } = await storeWithDocuments({ wiki });
    const result = await prepareDataset(store, datasetId, defaultPrepareOptions, minilm, {
      saveAs: 'prepared',
    });
    expect(result.report.outputTexts).toBe(result.texts.length);
    expect(result.savedDatasetId).not.toBeNull();
    const saved = await store.getDataset(result.savedDatasetId ?? '');
    expect(saved?.documentCount).toBe(result.texts.length);
    const first = result.texts[0];
    const doc = await store.getDocument(result.savedDatasetId ?? '', first?.text_id ?? '');
    expect(doc?.metadata).toMatchObject({ split: first?.split, token_count: first?.token_count });
  });

  it('removes a half-saved result when cancelled while saving', async () => {
    const many = Object.fromEntries(
      Array.from({ length: 3000 }, (_, i) => [`d${i}`, `Document number ${i} has words.`]),
    );
    const { store, datasetId } = await storeWithDocuments(many);
    const controller = new AbortController();
    const original = store.addDocuments.bind(store);
    store.addDocuments = async (id, hash, docs) => {
      const n = await original(id, hash, docs);
      if (id !== datasetId) controller.abort();
      return n;
    };
    const options = {
      ...defaultPrepareOptions,
      tokenFilter: null,
      paragraphs: 'keep-documents' as const,
    };
    await expect(
      prepareDataset(store, datasetId, options, whitespaceCounter, {
        saveAs: 'partial',
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect((await store.listDatasets()).map((d) => d.name)).toEqual(['src']);
  });
});
