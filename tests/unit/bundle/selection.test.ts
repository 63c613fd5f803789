import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bundleChunkId,
  bundleFromStore,
  readBundle,
  writeBundle,
  type Bundle,
  type SelectionRequest,
} from '../../../src/core/bundle/index.ts';
import { importBundle } from '../../../src/core/bundle/import-bundle.ts';
import { validateBundle } from '../../../src/core/bundle/validate-bundle.ts';
import { embedDataset, type EmbedModelSettings } from '../../../src/core/embed/job/index.ts';
import type { LuminaStore } from '../../../src/core/store/index.ts';
import type { TextChunk } from '../../../src/core/types.ts';
import { fakeRunner, openTestStore, readSet } from '../embed/job/fixtures.ts';
import { repack } from './fixtures.ts';

const MODEL: EmbedModelSettings = {
  pooling: 'mean',
  dtype: 'fp32',
  queryPrefix: '',
  documentPrefix: '',
  revision: 'main',
  weightsSha256: null,
};
const DIMS = 5;
const setId = 'fake/model';
const SPLITS = ['train', 'validation', 'test'] as const;

interface SeedDoc {
  id: string;
  source: string;
  split: string;
  chunks: number;
}

let store: LuminaStore;
let datasetId: string;
let seeded: SeedDoc[];

/** 12 documents of 1–3 sentence chunks over 3 sources and 3 splits, plus one without chunks. */
beforeEach(async () => {
  store = await openTestStore();
  datasetId = (await store.createDataset('corpus')).id;
  seeded = Array.from({ length: 12 }, (_, d) => ({
    id: `doc-${d}`,
    source: `s${d % 3}.txt`,
    split: SPLITS[d % 3 === 0 ? 0 : (d % 4) % 3] ?? 'train',
    chunks: 1 + (d % 3),
  }));
  const texts = seeded.map((doc, d) =>
    Array.from({ length: doc.chunks }, (_, s) => `Doc ${d} part ${s}.`).join(' '),
  );
  await store.addDocuments(datasetId, 'h', [
    ...seeded.map((doc, d) => ({
      id: doc.id,
      source: doc.source,
      text: texts[d] ?? '',
      metadata: { split: doc.split, n: d },
    })),
    { id: 'empty', source: 's0.txt', text: '', metadata: { split: 'train' } },
  ]);
  await store.putChunkBatch(
    datasetId,
    seeded.map((doc, d) => {
      const text = texts[d] ?? '';
      const chunks: TextChunk[] = [];
      for (let s = 0; s < doc.chunks; s += 1) {
        const piece = `Doc ${d} part ${s}.`;
        const charStart = text.indexOf(piece);
        chunks.push({
          index: s,
          text: piece,
          charStart,
          charEnd: charStart + piece.length,
          tokenCount: 4,
        });
      }
      return { docId: doc.id, chunks };
    }),
  );
  await store.updateDatasetChunking(datasetId, {
    mode: 'sentence',
    chunkTokens: 8,
    overlapTokens: 0,
  });
  await embedDataset(
    store,
    datasetId,
    { ...fakeRunner({ dims: DIMS }), model: MODEL },
    {
      tokenBudget: 64,
      maxTokens: 16,
      windowSize: 4,
    },
  );
});
afterEach(() => store.close());

async function exportSelection(selection: SelectionRequest): Promise<Bundle> {
  const input = await bundleFromStore(store, datasetId, setId, { appVersion: '1.0.0', selection });
  const { bundle } = await validateBundle(await writeBundle(input));
  return bundle;
}

function chunkIdsOf(bundle: Bundle): string[] {
  return bundle.chunks.map((chunk) => bundleChunkId(chunk.docId, chunk.chunkIndex));
}

/** Every chunk and document row carries the vector stored for it in the source dataset. */
async function expectStoredVectors(bundle: Bundle): Promise<void> {
  const chunkVectors = await readSet(store, datasetId, setId);
  chunkIdsOf(bundle).forEach((id, row) => {
    expect(bundle.embeddings.slice(row * DIMS, (row + 1) * DIMS)).toEqual(chunkVectors.get(id));
  });
  const docVectors = await readSet(store, datasetId, `${setId}:docs`);
  bundle.documents.forEach((doc, row) => {
    expect(bundle.docEmbeddings.slice(row * DIMS, (row + 1) * DIMS)).toEqual(
      docVectors.get(doc.docId),
    );
  });
}

const allChunkIds = () =>
  seeded.flatMap((doc) => Array.from({ length: doc.chunks }, (_, s) => `${doc.id}#${s}`));

describe('bundleFromStore with a selection', () => {
  it('exports exactly the selected chunks and the documents they belong to', async () => {
    // doc-2 has three chunks; only two are chosen, so its row counts two.
    const chosen = ['doc-2#0', 'doc-2#2', 'doc-7#1', 'doc-9#0'];
    const bundle = await exportSelection({
      kind: 'chunks',
      chunkIds: chosen,
      description: 'four map points',
    });
    expect(chunkIdsOf(bundle).sort()).toEqual([...chosen].sort());
    expect(bundle.documents.map((doc) => doc.docId).sort()).toEqual(['doc-2', 'doc-7', 'doc-9']);
    expect(Object.fromEntries(bundle.documents.map((doc) => [doc.docId, doc.chunkCount]))).toEqual({
      'doc-2': 2,
      'doc-7': 1,
      'doc-9': 1,
    });
    expect(bundle.manifest.counts).toEqual({ documents: 3, chunks: 4 });
    expect(bundle.manifest.missingDocEmbeddings).toEqual([]);
    const totalChunks = seeded.reduce((sum, doc) => sum + doc.chunks, 0);
    expect(bundle.manifest.selection).toEqual({
      kind: 'chunks',
      description: 'four map points',
      from: { documents: 13, chunks: totalChunks },
    });
    await expectStoredVectors(bundle);
  });

  it('exports every chunk of the selected documents', async () => {
    const bundle = await exportSelection({ kind: 'documents', docIds: ['doc-1', 'doc-5'] });
    expect(chunkIdsOf(bundle).sort()).toEqual([
      'doc-1#0',
      'doc-1#1',
      'doc-5#0',
      'doc-5#1',
      'doc-5#2',
    ]);
    expect(bundle.documents.map((doc) => doc.docId).sort()).toEqual(['doc-1', 'doc-5']);
    expect(bundle.manifest.selection?.description).toBe('2 selected documents');
    await expectStoredVectors(bundle);
  });

  it('exports the documents a search filter keeps (source and split)', async () => {
    const bundle = await exportSelection({
      kind: 'filter',
      filter: { sources: ['s1.txt', 's2.txt'], metadata: { split: ['train', 'test'] } },
    });
    const expected = seeded.filter(
      (doc) => doc.source !== 's0.txt' && (doc.split === 'train' || doc.split === 'test'),
    );
    expect(expected.length).toBeGreaterThan(1);
    expect(expected.length).toBeLessThan(8);
    expect(bundle.documents.map((doc) => doc.docId).sort()).toEqual(
      expected.map((doc) => doc.id).sort(),
    );
    expect(chunkIdsOf(bundle).sort()).toEqual(
      allChunkIds()
        .filter((id) => expected.some((doc) => id.startsWith(`${doc.id}#`)))
        .sort(),
    );
    expect(bundle.manifest.selection).toMatchObject({
      kind: 'filter',
      filter: { sources: ['s1.txt', 's2.txt'], metadata: { split: ['train', 'test'] } },
      description: 'Documents where source in s1.txt, s2.txt; split = train or test',
    });
    await expectStoredVectors(bundle);
  });

  it('imports as a dataset holding the selected documents only', async () => {
    const input = await bundleFromStore(store, datasetId, setId, {
      appVersion: '1.0.0',
      selection: { kind: 'chunks', chunkIds: ['doc-4#1', 'doc-10#0', 'doc-10#1'] },
    });
    const result = await importBundle(store, await writeBundle(input), { name: 'subset' });
    expect(result).toMatchObject({ duplicate: false, documents: 2, chunks: 3 });
    const docIds: string[] = [];
    for await (const page of store.iterateDocuments(result.datasetId, 100)) {
      docIds.push(...page.map((doc) => doc.id));
    }
    expect(docIds.sort()).toEqual(['doc-10', 'doc-4']);
    const imported = await readSet(store, result.datasetId, setId);
    const original = await readSet(store, datasetId, setId);
    expect([...imported.keys()].sort()).toEqual(['doc-10#0', 'doc-10#1', 'doc-4#1']);
    for (const [id, vector] of imported) expect(vector).toEqual(original.get(id));
  });

  it('refuses an empty or stale selection with a clear message', async () => {
    const attempt = (selection: SelectionRequest) =>
      bundleFromStore(store, datasetId, setId, { appVersion: '1', selection });
    await expect(attempt({ kind: 'chunks', chunkIds: [] })).rejects.toThrow(
      /Nothing is selected: choose at least one chunk/,
    );
    await expect(attempt({ kind: 'documents', docIds: [] })).rejects.toThrow(/Nothing is selected/);
    await expect(
      attempt({ kind: 'filter', filter: { metadata: { split: ['nonexistent'] } } }),
    ).rejects.toThrow(/holds no embedded chunks of fake\/model: nothing to export/);
    // The document without chunks matches but has nothing to export.
    await expect(attempt({ kind: 'documents', docIds: ['empty'] })).rejects.toThrow(
      /holds no embedded chunks/,
    );
    await expect(attempt({ kind: 'documents', docIds: ['doc-1', 'nope'] })).rejects.toThrow(
      /names 1 documents that the dataset does not hold \(nope\)/,
    );
    await expect(attempt({ kind: 'chunks', chunkIds: ['doc-1#0', 'doc-1#9'] })).rejects.toThrow(
      /names 1 chunks that embedding set fake\/model does not hold \(doc-1#9\)/,
    );
  });
});

describe('manifest selection field', () => {
  it('is absent from whole-set bundles and refused when malformed', async () => {
    const whole = await bundleFromStore(store, datasetId, setId, { appVersion: '1' });
    const bytes = await writeBundle(whole);
    expect((await readBundle(bytes)).manifest.selection).toBeUndefined();

    const broken = await repack(
      bytes,
      (_, manifest) => {
        manifest.selection = { kind: 'everything', description: 'x', from: {} };
      },
      { rehash: false },
    );
    await expect(readBundle(broken)).rejects.toThrow(/selection\.kind/);
    const noFilter = await repack(
      bytes,
      (_, manifest) => {
        manifest.selection = {
          kind: 'filter',
          description: 'x',
          from: { documents: 1, chunks: 1 },
        };
      },
      { rehash: false },
    );
    await expect(readBundle(noFilter)).rejects.toThrow(/selection\.filter is required/);
  });
});
