import type {} from '@vitest/browser-playwright';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cdp } from 'vitest/browser';
import {
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
  openStore,
  StoreQuotaError,
  type DatasetRecord,
  type LuminaStore,
} from '../../src/core/store/index.ts';
import type { SourceDocument } from '../../src/core/types.ts';

function makeDocs(count: number, prefix: string, text: (i: number) => string): SourceDocument[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${String(i).padStart(6, '0')}`,
    source: 'big.jsonl',
    text: text(i),
    metadata: { i },
  }));
}

/** Text that compression cannot shrink, so stored bytes track its length. */
function noise(length: number, seed: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .';
  let state = seed >>> 0 || 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out += alphabet[(state >>> 0) % alphabet.length];
  }
  return out;
}

/** Index of the first differing byte, -1 when equal (a deep toEqual of 1.5 MB takes seconds). */
function firstByteDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

let store: LuminaStore;
let dataset: DatasetRecord;
beforeEach(async () => {
  store = await openStore({ name: `lumina-browser-test-${crypto.randomUUID()}` });
  dataset = await store.createDataset('browser');
});
afterEach(async () => {
  await store.destroy();
});

describe('store in Chromium', () => {
  it('adds 10k documents in batches and iterates them back', async () => {
    const docs = makeDocs(10_000, 'doc', (i) => `document ${i} says hello`);
    let written = 0;
    for (let start = 0; start < docs.length; start += 1000) {
      written += await store.addDocuments(dataset.id, 'file-hash', docs.slice(start, start + 1000));
    }
    expect(written).toBe(10_000);
    const saved = await store.getDataset(dataset.id);
    expect(saved?.documentCount).toBe(10_000);
    expect(saved?.bytes).toBe(docs.reduce((sum, d) => sum + d.text.length, 0));
    expect(await store.countDocuments(dataset.id)).toBe(10_000);

    const ids: string[] = [];
    let batches = 0;
    for await (const batch of store.iterateDocuments(dataset.id, 750)) {
      batches++;
      for (const doc of batch) ids.push(doc.id);
      // Slow work between batches must not break the next read.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(batches).toBe(14);
    expect(ids).toEqual(docs.map((d) => d.id));
    expect((await store.getDocument(dataset.id, 'doc-004321'))?.text).toBe(
      'document 4321 says hello',
    );
    const page = await store.listDocuments(dataset.id, { offset: 9_998, limit: 10 });
    expect(page.map((d) => d.id)).toEqual(['doc-009998', 'doc-009999']);
  });

  it('stores chunks and embedding blocks bit for bit, and deleting the dataset removes all', async () => {
    const docs = makeDocs(50, 'doc', (i) => `chunk me please, number ${i}`);
    await store.addDocuments(dataset.id, 'file-hash', docs);
    await store.putFile({
      datasetId: dataset.id,
      hash: 'file-hash',
      name: 'big.jsonl',
      path: 'big.jsonl',
      bytes: 1234,
      format: 'jsonl',
      documents: 50,
      messages: [],
      addedAt: Date.now(),
    });
    const entries = docs.map((doc) => ({
      docId: doc.id,
      chunks: [0, 1].map((index) => {
        const charStart = index * 10;
        const charEnd = index === 0 ? 10 : doc.text.length;
        return {
          index,
          text: doc.text.slice(charStart, charEnd),
          charStart,
          charEnd,
          tokenCount: 3,
        };
      }),
    }));
    expect(await store.putChunkBatch(dataset.id, entries)).toBe(100);
    expect((await store.getDataset(dataset.id))?.chunkCount).toBe(100);
    const chunks = await store.listChunks(dataset.id, 'doc-000007');
    expect(chunks.map((c) => c.id)).toEqual(['doc-000007#0', 'doc-000007#1']);
    expect(chunks.map((c) => c.text).join('')).toBe(docs[7]?.text);

    const dims = 384;
    const block = emptyEmbeddingBlock(dataset.id, 'minilm', 0, dims);
    const bits = new Uint32Array(block.vectors.buffer);
    let state = 12345;
    for (let i = 0; i < 100 * dims; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      bits[i] = state; // every bit pattern, NaN payloads and subnormals included
    }
    block.count = 100;
    block.chunkIds = entries.flatMap((e) => e.chunks.map((c) => `${e.docId}#${c.index}`));
    await store.putEmbeddingBlocks([block]);
    const back = await store.getEmbeddingBlock(dataset.id, 'minilm', 0);
    expect(back?.vectors).toBeInstanceOf(Float32Array);
    expect(back?.vectors.length).toBe(EMBEDDING_BLOCK_ROWS * dims);
    expect(back && firstByteDifference(back.vectors, block.vectors)).toBe(-1);
    expect(back?.chunkIds).toEqual(block.chunkIds);

    await store.putJob({
      id: 'embed-1',
      datasetId: dataset.id,
      kind: 'embed',
      state: 'paused',
      cursor: { block: 1 },
      createdAt: 1,
      updatedAt: 1,
    });
    await store.enqueueOutbox(dataset.id, [{ vectorId: 'doc-000000#0', op: 'upsert' }]);

    expect(await store.deleteDataset(dataset.id)).toBe(true);
    const db = store.db;
    const left = await Promise.all(
      (
        [
          'datasets',
          'files',
          'documents',
          'chunks',
          'embeddingBlocks',
          'jobs',
          'syncOutbox',
        ] as const
      ).map((name) => db.count(name)),
    );
    expect(left).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('keeps model files stored as Blobs', async () => {
    const weights = new Blob([new Uint8Array([0, 1, 2, 255])]);
    await store.putModel({
      id: 'tiny',
      name: 'tiny',
      source: 'trained',
      createdAt: 1,
      config: { dims: 4 },
      files: { 'model.safetensors': weights, 'config.json': new TextEncoder().encode('{}').buffer },
    });
    const back = await store.getModel('tiny');
    const file = back?.files?.['model.safetensors'];
    expect(file).toBeInstanceOf(Blob);
    expect(new Uint8Array(await (file as Blob).arrayBuffer())).toEqual(
      new Uint8Array([0, 1, 2, 255]),
    );
  });

  it('on a full quota saves nothing of the failing batch and keeps what was there', async () => {
    const usage = await store.estimateUsage();
    expect(usage?.quota).toBeGreaterThan(0);
    const batchSize = 100;
    const textLength = 5_000;
    const round = (n: number) =>
      makeDocs(batchSize, `r${String(n).padStart(3, '0')}`, (i) =>
        noise(textLength, n * batchSize + i + 1),
      );
    let saved = 0;
    for (let n = 0; n < 2; n++)
      saved += await store.addDocuments(dataset.id, `hash-${n}`, round(n));

    // Chromium enforces this override on IndexedDB writes, though navigator.storage.estimate()
    // keeps reporting the real quota (the DevTools view of the origin shows the override).
    const session = cdp();
    const origin = location.origin;
    const before = await session.send('Storage.getUsageAndQuota', { origin });
    const quotaSize = before.usage + 3 * 1024 * 1024;
    await session.send('Storage.overrideQuotaForOrigin', { origin, quotaSize });
    try {
      expect(await session.send('Storage.getUsageAndQuota', { origin })).toMatchObject({
        quota: quotaSize,
        overrideActive: true,
      });
      // IndexedDB keeps granting the free space it last heard of, decaying over 30 seconds
      // (BucketContext::kBucketSpaceCacheTimeLimit), so the new quota bites only after that.
      await new Promise((resolve) => setTimeout(resolve, 31_000));

      let failure: unknown;
      let failedBatch: SourceDocument[] = [];
      for (let n = 2; n < 100 && !failure; n++) {
        const batch = round(n);
        try {
          saved += await store.addDocuments(dataset.id, `hash-${n}`, batch);
        } catch (error) {
          failure = error;
          failedBatch = batch;
        }
      }
      expect(failure).toBeInstanceOf(StoreQuotaError);
      expect((failure as Error).cause).toMatchObject({ name: 'QuotaExceededError' });
      expect((failure as Error).message).toMatch(
        /^Browser storage is full while saving 100 documents to dataset 'browser': nothing from this batch was saved/,
      );
      // The 3 MiB of room took some rounds before the one that failed.
      expect(saved).toBeGreaterThan(2 * batchSize);

      const after = await store.getDataset(dataset.id);
      expect(after?.documentCount).toBe(saved);
      expect(after?.bytes).toBe(saved * textLength);
      expect(await store.countDocuments(dataset.id)).toBe(saved);
      const stored = await store.existingDocumentIds(
        dataset.id,
        failedBatch.map((d) => d.id),
      );
      expect(stored.size).toBe(0);
      expect((await store.getDocument(dataset.id, 'r000-000042'))?.text).toBe(
        noise(textLength, 43),
      );
    } finally {
      await session.send('Storage.overrideQuotaForOrigin', { origin });
    }
  }, 90_000);
});
