import './indexeddb-env.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cachedModelId,
  cachedModelUsage,
  deleteCachedModel,
  type CacheLike,
  type CacheStorageLike,
} from '../../../src/core/store/cache-usage.ts';
import {
  datasetUsage,
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
  storedModelUsage,
  utf8ByteLength,
  type LuminaStore,
} from '../../../src/core/store/index.ts';
import type { Progress } from '../../../src/core/progress.ts';
import type { SourceDocument } from '../../../src/core/types.ts';
import { makeChunks } from './fixtures.ts';
import { openTestStore } from './indexeddb-env.ts';

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

const DOCS: SourceDocument[] = [
  { id: 'a', source: 'a.txt', text: 'plain ascii text', metadata: {} },
  { id: 'b', source: 'b.txt', text: 'Grüße aus Köln, 東京 and 👋🏽 emoji', metadata: { lang: 'de' } },
  { id: 'c', source: 'c.txt', text: 'x'.repeat(3000), metadata: { n: 3, tags: ['é', 'ß'] } },
];

let store: LuminaStore;
beforeEach(async () => {
  store = await openTestStore();
});
afterEach(() => store.close());

describe('utf8ByteLength', () => {
  it('matches an encoder on ascii, 2-, 3- and 4-byte characters and lone surrogates', () => {
    for (const text of ['', 'abc', 'Grüße', '東京', '👋🏽', 'a\uD800b', '\uDC00', 'end\uD83D']) {
      expect(utf8ByteLength(text), JSON.stringify(text)).toBe(
        new TextEncoder().encode(text).length,
      );
    }
  });
});

describe('datasetUsage', () => {
  it('sums documents, chunks, embedding blocks and analyses of one dataset only', async () => {
    const dataset = await store.createDataset('measured');
    const other = await store.createDataset('other');
    await store.addDocuments(dataset.id, 'h', DOCS);
    await store.addDocuments(other.id, 'h', [
      { id: 'z', source: 'z.txt', text: 'not counted '.repeat(50), metadata: {} },
    ]);
    await store.putChunkBatch(
      dataset.id,
      DOCS.map((doc) => ({ docId: doc.id, chunks: makeChunks(doc.text, 7) })),
    );

    const dims = 8;
    const blocks = [0, 1].map((blockIndex) => {
      const block = emptyEmbeddingBlock(dataset.id, 'set-1', blockIndex, dims);
      block.count = 2;
      block.chunkIds = [`a#${blockIndex}`, `b#${blockIndex}`];
      return block;
    });
    const second = emptyEmbeddingBlock(dataset.id, 'set-2', 0, 4);
    second.count = 1;
    second.chunkIds = ['c#0'];
    await store.putEmbeddingBlocks([...blocks, second]);
    await store.putEmbeddingBlocks([emptyEmbeddingBlock(other.id, 'set-1', 0, 16)]);
    await store.putAnalysis({
      datasetId: dataset.id,
      setId: 'set-1',
      id: 'projection:umap-2d',
      kind: 'projection',
      createdAt: 1,
      rows: 3,
      dims: 2,
      values: new Float32Array(6),
      chunkIds: ['a#0', 'b#0', 'c#0'],
      params: {},
    });

    const events: Progress[] = [];
    const usage = await datasetUsage(store, dataset.id, { onProgress: (e) => events.push(e) });

    // Independently: every stored document and chunk, measured with Node's own UTF-8 count.
    const docBytes = DOCS.reduce(
      (sum, doc) => sum + utf8(doc.text) + utf8(JSON.stringify(doc.metadata)),
      0,
    );
    const chunkTexts = DOCS.flatMap((doc) => makeChunks(doc.text, 7).map((c) => c.text));
    const chunkBytes = chunkTexts.reduce((sum, text) => sum + utf8(text), 0);
    const embeddingBytes =
      2 * EMBEDDING_BLOCK_ROWS * dims * 4 +
      utf8('a#0b#0a#1b#1') +
      EMBEDDING_BLOCK_ROWS * 4 * 4 +
      utf8('c#0');
    const analysisBytes = 6 * 4 + utf8('a#0b#0c#0');

    expect(usage).toEqual({
      datasetId: dataset.id,
      name: 'measured',
      documents: { records: 3, bytes: docBytes },
      chunks: { records: chunkTexts.length, bytes: chunkBytes },
      embeddings: { records: 3, bytes: embeddingBytes, sets: 2 },
      analyses: { records: 1, bytes: analysisBytes },
      total: docBytes + chunkBytes + embeddingBytes + analysisBytes,
    });
    expect(events[0]?.status).toBe('start');
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });

    // Deleting the dataset leaves nothing of it to measure; the other dataset keeps its bytes.
    await store.deleteDataset(dataset.id);
    await expect(datasetUsage(store, dataset.id)).rejects.toThrow(/No dataset/);
    const rest = await datasetUsage(store, other.id);
    expect(rest.documents.bytes).toBe(utf8('not counted '.repeat(50)) + utf8('{}'));
    expect(rest.embeddings.bytes).toBe(EMBEDDING_BLOCK_ROWS * 16 * 4);
  });

  it('stops when aborted', async () => {
    const dataset = await store.createDataset('aborted');
    await store.addDocuments(dataset.id, 'h', DOCS);
    const controller = new AbortController();
    controller.abort();
    await expect(
      datasetUsage(store, dataset.id, { signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('storedModelUsage', () => {
  it('adds the files’ bytes and the config as JSON', async () => {
    const config = { model_type: 'bert', hidden_size: 32, note: 'ü' };
    await store.putModel({
      id: 'model:tiny:1',
      name: 'tiny',
      source: 'imported',
      createdAt: 1,
      config,
      files: {
        'onnx/model.onnx': new Blob([new Uint8Array(1234)]),
        'vocab.txt': new ArrayBuffer(99),
      },
    });
    const [usage] = storedModelUsage(await store.listModels());
    expect(usage).toEqual({
      id: 'model:tiny:1',
      name: 'tiny',
      source: 'imported',
      files: 2,
      bytes: 1234 + 99 + utf8(JSON.stringify(config)),
    });
  });
});

/** An in-memory Cache Storage holding response body sizes by URL. */
function fakeCaches(contents: Record<string, Record<string, number>>): CacheStorageLike<{
  url: string;
}> & { sizes: Map<string, Map<string, number>> } {
  const sizes = new Map(
    Object.entries(contents).map(([name, entries]) => [name, new Map(Object.entries(entries))]),
  );
  const cache = (name: string): CacheLike<{ url: string }> => {
    const entries = sizes.get(name) ?? new Map<string, number>();
    return {
      keys: () => Promise.resolve([...entries.keys()].map((url) => ({ url }))),
      match: ({ url }) => {
        const size = entries.get(url);
        return Promise.resolve(
          size === undefined ? undefined : { blob: () => Promise.resolve({ size }) },
        );
      },
      delete: ({ url }) => Promise.resolve(entries.delete(url)),
    };
  };
  return {
    sizes,
    has: (name) => Promise.resolve(sizes.has(name)),
    open: (name) => Promise.resolve(cache(name)),
  };
}

describe('cached models', () => {
  const hub = 'https://huggingface.co';
  const origin = 'http://127.0.0.1:4173';

  it('names the model of Hub and served-folder URLs, and nothing else', () => {
    expect(cachedModelId(`${hub}/Xenova/all-MiniLM-L6-v2/resolve/main/onnx/model.onnx`)).toBe(
      'Xenova/all-MiniLM-L6-v2',
    );
    expect(cachedModelId(`${hub}/bert-base-uncased/resolve/main/config.json`)).toBe(
      'bert-base-uncased',
    );
    expect(cachedModelId(`${origin}/models/tiny-minilm/onnx/model.onnx`)).toBe(
      '/models/tiny-minilm/',
    );
    expect(cachedModelId(`${origin}/models/index.json`)).toBeNull();
    expect(cachedModelId(`${hub}/api/models/x`)).toBeNull();
    expect(cachedModelId('not a url')).toBeNull();
  });

  it('groups cached files by model across caches and deletes one model’s files', async () => {
    const storage = fakeCaches({
      'transformers-cache': {
        [`${hub}/org/a/resolve/main/config.json`]: 100,
        [`${hub}/org/a/resolve/main/onnx/model.onnx`]: 5000,
        [`${hub}/org/b/resolve/main/config.json`]: 70,
      },
      'lumina-models': {
        [`${hub}/org/a/resolve/main/onnx/model.onnx`]: 5000,
        [`${origin}/models/local/tokenizer.json`]: 300,
        [`${origin}/models/index.json`]: 20,
      },
      'unrelated-cache': { [`${hub}/org/c/resolve/main/config.json`]: 9 },
    });
    expect(await cachedModelUsage(storage)).toEqual([
      { modelId: '/models/local/', files: 1, bytes: 300, caches: ['lumina-models'] },
      {
        modelId: 'org/a',
        files: 3,
        bytes: 10_100,
        caches: ['transformers-cache', 'lumina-models'],
      },
      { modelId: 'org/b', files: 1, bytes: 70, caches: ['transformers-cache'] },
    ]);

    expect(await deleteCachedModel(storage, 'org/a')).toBe(3);
    expect([...(storage.sizes.get('transformers-cache')?.keys() ?? [])]).toEqual([
      `${hub}/org/b/resolve/main/config.json`,
    ]);
    expect((await cachedModelUsage(storage)).map((m) => m.modelId)).toEqual([
      '/models/local/',
      'org/b',
    ]);
  });
});
