import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bundleFromStore,
  bundleChunkId,
  readBundle,
  writeBundle,
} from '../../../src/core/bundle/index.ts';
import {
  embedDataset,
  getEmbedJob,
  type EmbedModelSettings,
  type EmbeddingRunner,
} from '../../../src/core/embed/job/index.ts';
import type { LuminaStore } from '../../../src/core/store/index.ts';
import type { TextChunk } from '../../../src/core/types.ts';
import { fakeRunner, openTestStore, readSet } from '../embed/job/fixtures.ts';

const MODEL: EmbedModelSettings = {
  pooling: 'last-token',
  dtype: 'q8',
  queryPrefix: 'query: ',
  documentPrefix: 'passage: ',
  revision: null,
  weightsSha256: 'ab'.repeat(32),
};
const CHUNKING = { mode: 'sentence', chunkTokens: 12, overlapTokens: 2 };
const options = { tokenBudget: 64, maxTokens: 32, windowSize: 7 };
const setId = 'fake/model';

let store: LuminaStore;
let datasetId: string;
beforeEach(async () => {
  store = await openTestStore();
  datasetId = (await store.createDataset('corpus')).id;
});
afterEach(() => store.close());

/** Documents of sentences, one chunk per sentence with real offsets; one document has none. */
async function seed(docs: number): Promise<number> {
  const texts = Array.from({ length: docs }, (_, d) =>
    Array.from({ length: 1 + (d % 4) }, (_, s) => `Doc ${d} sentence ${s} ${'x'.repeat(d)}.`).join(
      ' ',
    ),
  );
  await store.addDocuments(datasetId, 'h', [
    ...texts.map((text, d) => ({
      id: `doc#${d}`,
      source: `f${d % 3}.txt`,
      text,
      metadata: { n: d },
    })),
    { id: 'empty', source: 'e.txt', text: '', metadata: {} },
  ]);
  let total = 0;
  const entries = texts.map((text, d) => {
    const chunks: TextChunk[] = [];
    let start = 0;
    for (const sentence of text.split(' Doc ')) {
      const piece = chunks.length === 0 ? sentence : `Doc ${sentence}`;
      const charStart = text.indexOf(piece, start);
      chunks.push({
        index: chunks.length,
        text: piece,
        charStart,
        charEnd: charStart + piece.length,
        tokenCount: piece.split(' ').length,
      });
      start = charStart + piece.length;
    }
    total += chunks.length;
    return { docId: `doc#${d}`, chunks };
  });
  await store.putChunkBatch(datasetId, entries);
  await store.updateDatasetChunking(datasetId, { ...CHUNKING, tokenizer: 'words' });
  return total;
}

function runner(model: EmbedModelSettings | null = MODEL): EmbeddingRunner {
  return { ...fakeRunner({ dims: 6 }), ...(model ? { model } : {}) };
}

describe('bundleFromStore', () => {
  it('records the model settings in the job', async () => {
    await seed(3);
    await embedDataset(store, datasetId, runner(), options);
    expect((await getEmbedJob(store, datasetId, setId))?.cursor.model).toEqual(MODEL);
  });

  it('gathers a finished set that writes and reads back with the stored vectors', async () => {
    const chunkCount = await seed(25);
    await embedDataset(store, datasetId, runner(), options);
    const events: number[] = [];
    const input = await bundleFromStore(store, datasetId, setId, {
      appVersion: '9.9.9',
      onProgress: (event) => events.push(event.fraction),
    });
    expect(events.at(-1)).toBe(1);

    const bundle = await readBundle(await writeBundle(input));
    const { manifest } = bundle;
    expect(manifest.counts).toEqual({ documents: 25, chunks: chunkCount });
    expect(manifest.model).toEqual({
      id: 'fake/model',
      revision: null,
      weightsSha256: MODEL.weightsSha256,
      dims: 6,
      pooling: 'last_token',
      normalize: true,
      dtype: 'q8',
      maxTokens: 32,
      queryPrefix: 'query: ',
      documentPrefix: 'passage: ',
    });
    expect(manifest.chunking).toEqual({ ...CHUNKING, tokenizer: 'words' });
    expect(manifest.appVersion).toBe('9.9.9');
    expect(manifest.missingDocEmbeddings).toEqual([
      { docId: 'empty', source: 'e.txt', reason: 'the document has no chunks' },
    ]);

    const stored = await readSet(store, datasetId, setId);
    expect(bundle.chunks).toHaveLength(chunkCount);
    bundle.chunks.forEach((chunk, row) => {
      const id = bundleChunkId(chunk.docId, chunk.chunkIndex);
      expect(id).toMatch(/^doc#\d+#\d+$/);
      expect(bundle.embeddings.slice(row * 6, (row + 1) * 6)).toEqual(stored.get(id));
    });
    expect(bundle.chunks[0]).toMatchObject({ metadata: { n: expect.any(Number) as number } });

    const averages = await readSet(store, datasetId, `${setId}:docs`);
    expect(bundle.documents.map((doc) => doc.docId).sort()).toEqual([...averages.keys()].sort());
    bundle.documents.forEach((doc, row) => {
      expect(bundle.docEmbeddings.slice(row * 6, (row + 1) * 6)).toEqual(averages.get(doc.docId));
      expect(doc.chunkCount).toBe(1 + (Number(doc.docId.slice(4)) % 4));
    });
  });

  it('refuses an unfinished set', async () => {
    await seed(25);
    const controller = new AbortController();
    const paused = {
      ...fakeRunner({ dims: 6, beforeCall: () => controller.abort() }),
      model: MODEL,
    };
    await expect(
      embedDataset(store, datasetId, paused, options, { signal: controller.signal }),
    ).rejects.toThrow();
    await expect(bundleFromStore(store, datasetId, setId, { appVersion: '1' })).rejects.toThrow(
      /is not finished \(paused, \d+\/\d+ chunks\): finish or resume it/,
    );
    await expect(bundleFromStore(store, datasetId, 'other', { appVersion: '1' })).rejects.toThrow(
      /has no embedding set other/,
    );
  });

  it('refuses a set whose job did not record the model settings', async () => {
    await seed(3);
    await embedDataset(store, datasetId, runner(null), options);
    await expect(bundleFromStore(store, datasetId, setId, { appVersion: '1' })).rejects.toThrow(
      /embed it again to export it/,
    );
  });
});
