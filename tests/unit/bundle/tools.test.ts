import { describe, expect, it } from 'vitest';
import {
  readBundle,
  writeBundle,
  type Bundle,
  type BundleInput,
} from '../../../src/core/bundle/index.ts';
import {
  escapeTsvCell,
  jsonlLines,
  projectorMetadataLines,
  projectorVectorLines,
  type JsonlChunk,
} from '../../../src/core/bundle/tools-export.ts';
import { inspectBundle } from '../../../src/core/bundle/tools-inspect.ts';
import { mergeBundles } from '../../../src/core/bundle/tools-merge.ts';
import { validateBundle } from '../../../src/core/bundle/validate-bundle.ts';
import { DIMS, chunkOf, sampleInput, sampleInputWithTexts } from './fixtures.ts';

/** The element at `i`, which the test knows is there. */
function item<T>(list: readonly T[], i: number): T {
  const value = list[i];
  if (value === undefined) throw new Error(`no element ${i}`);
  return value;
}

const full = sampleInput();

/** A shard of the sample: the chunks at `rows`, the documents at `docs`, the rest listed missing. */
function shard(rows: number[], docs: number[], overrides: Partial<BundleInput> = {}): BundleInput {
  const chunks = rows.map((row) => item(full.chunks, row));
  const documents = docs.map((doc) => item(full.documents, doc));
  const kept = new Set(documents.map((doc) => doc.docId));
  const missing = [
    ...full.documents
      .filter((doc) => !kept.has(doc.docId))
      .map((doc) => ({ docId: doc.docId, source: doc.source, reason: 'not in this shard' })),
    ...(full.missingDocEmbeddings ?? []),
  ];
  return {
    ...full,
    chunks,
    embeddings: pick(full.embeddings, rows),
    documents,
    docEmbeddings: pick(full.docEmbeddings, docs),
    missingDocEmbeddings: missing,
    ...overrides,
  };
}

function pick(vectors: Float32Array, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * DIMS);
  rows.forEach((row, i) => out.set(vectors.subarray(row * DIMS, (row + 1) * DIMS), i * DIMS));
  return out;
}

async function read(input: BundleInput): Promise<Bundle> {
  return readBundle(await writeBundle(input));
}

describe('mergeBundles', () => {
  it('merges shards, keeping a chunk found in both once, into a bundle that validates', async () => {
    const a = await read(shard([0, 1, 2], [0, 1]));
    const b = await read(shard([2, 3], [1]));
    const merged = mergeBundles([a, b], { appVersion: '9.9.9', created: full.created });
    const { bundle } = await validateBundle(await writeBundle(merged));
    expect(bundle.chunks).toEqual(full.chunks);
    expect(Array.from(bundle.embeddings)).toEqual(Array.from(full.embeddings));
    expect(bundle.documents).toEqual(full.documents);
    expect(Array.from(bundle.docEmbeddings)).toEqual(Array.from(full.docEmbeddings));
    expect(bundle.manifest.counts).toEqual({ chunks: 4, documents: 2 });
    expect(bundle.manifest.missingDocEmbeddings.map((m) => m.docId).sort()).toEqual([
      'doc-c',
      'doc-empty',
    ]);
    expect(bundle.manifest.appVersion).toBe('9.9.9');
  });

  it('keeps saying a merge of selection shards is a selection, and whole shards merge whole', async () => {
    const whole = mergeBundles([await read(shard([0, 1], [0])), await read(shard([2, 3], [1]))], {
      appVersion: '9.9.9',
    });
    expect(whole.selection).toBeUndefined();

    const from = { documents: 3, chunks: 5 };
    const a = await read(
      shard([0, 1], [0], {
        selection: { kind: 'chunks', description: '2 points of the PCA map', from },
      }),
    );
    const b = await read(shard([2, 3], [1]));
    const merged = mergeBundles([a, b], { appVersion: '9.9.9', names: ['a.lumina', 'b.lumina'] });
    expect(merged.selection).toEqual({
      kind: 'chunks',
      description: 'merge of a.lumina: 2 points of the PCA map; 1 whole-set shard',
      from,
    });
    const inspection = await inspectBundle(await writeBundle(merged));
    expect(inspection.valid).toBe(true);
    expect(inspection.selection).toEqual(merged.selection);
  });

  it('drops an average that no longer covers all of its document chunks', async () => {
    // doc-a's chunks are split over two shards: neither shard has its average, nor does the merge.
    const a = await read(shard([0], [], {}));
    const b = await read(shard([1, 2], [1]));
    const merged = mergeBundles([a, b], { appVersion: '1' });
    const { bundle } = await validateBundle(await writeBundle(merged));
    expect(bundle.documents.map((d) => d.docId)).toEqual(['doc-b']);
    expect(bundle.chunks.filter((c) => c.docId === 'doc-a')).toHaveLength(2);
    expect(bundle.manifest.missingDocEmbeddings.map((m) => m.docId)).toContain('doc-a');
  });

  it('refuses shards embedded or chunked differently, naming the setting', async () => {
    const a = await read(shard([0, 1], [0]));
    const changes: [Partial<BundleInput['model']> | null, RegExp][] = [
      [{ id: 'other/model' }, /bundle 2 has model\.id "other\/model"/],
      [{ weightsSha256: 'cd'.repeat(32) }, /model\.weightsSha256/],
      [{ normalize: false }, /model\.normalize false/],
      [{ pooling: 'cls' }, /model\.pooling "cls"/],
      [{ dtype: 'q8' }, /model\.dtype/],
      [{ maxTokens: 512 }, /model\.maxTokens 512/],
      [{ queryPrefix: 'q: ' }, /model\.queryPrefix/],
      [{ documentPrefix: 'passage: ' }, /model\.documentPrefix/],
    ];
    for (const [model, message] of changes) {
      const b = await read(shard([2], [1], { model: { ...full.model, ...model } }));
      expect(() => mergeBundles([a, b], { appVersion: '1' })).toThrow(message);
    }
    const chunked = await read(
      shard([2], [1], { chunking: { ...full.chunking, chunkTokens: 64 } }),
    );
    expect(() => mergeBundles([a, chunked], { appVersion: '1' })).toThrow(
      /chunked with .* only shards chunked the same way/,
    );
    const otherDims = await read({
      ...shard([2], [1]),
      model: { ...full.model, dims: 2 },
      embeddings: new Float32Array(2),
      docEmbeddings: new Float32Array(2),
    });
    expect(() => mergeBundles([a, otherDims], { appVersion: '1' })).toThrow(/model\.dims 2/);
  });

  it('refuses a chunk id whose text differs between shards', async () => {
    const a = await read(shard([0, 1, 2], [0, 1]));
    const changed = chunkOf('doc-b', 0, 'dir/b.md', 'Another text', 0, 12, {});
    const b = await read({
      ...shard([2], [1]),
      chunks: [changed],
      documents: [{ ...item(full.documents, 1), charCount: 12 }],
    });
    expect(() => mergeBundles([a, b], { appVersion: '1' })).toThrow(/chunk doc-b#0 differs/);
  });
});

describe('bundle exports', () => {
  it('writes Projector TSVs with a header row and escaped text', async () => {
    const input = sampleInput();
    const tricky = chunkOf('doc-c', 0, 'c.txt', 'tab\there\nnew\\line', 0, 17, {});
    const bundle = await read({ ...input, chunks: [...input.chunks.slice(0, 3), tricky] });
    const vectors = [...projectorVectorLines(bundle)];
    expect(vectors).toHaveLength(4);
    const firstRow = item(vectors, 0).trimEnd().split('\t').map(Number);
    expect(firstRow).toEqual(Array.from(input.embeddings.subarray(0, DIMS)));
    const metadata = [...projectorMetadataLines(bundle)];
    expect(metadata[0]).toBe('id\tdoc_id\tsource\ttext\n');
    expect(metadata).toHaveLength(5);
    expect(metadata[4]).toBe('doc-c#0\tdoc-c\tc.txt\ttab\\there\\nnew\\\\line\n');
    for (const line of metadata) expect(line.split('\t')).toHaveLength(4);
    expect(escapeTsvCell('a\r\nb')).toBe('a\\r\\nb');
  });

  it('writes one JSON line per chunk with its exact float32 embedding', async () => {
    const input = sampleInputWithTexts();
    const bundle = await read(input);
    const lines = [...jsonlLines(bundle)];
    expect(lines).toHaveLength(4);
    const rows = lines.map((line) => JSON.parse(line) as JsonlChunk);
    expect(rows[1]).toMatchObject({
      id: 'doc-a#1',
      doc_id: 'doc-a',
      source: 'a.txt',
      text: item(input.chunks, 1).text,
    });
    const restored = Float32Array.from(rows.flatMap((row) => row.embedding));
    expect(Array.from(restored)).toEqual(Array.from(input.embeddings));
  });
});

describe('inspectBundle', () => {
  it('summarises a valid bundle and explains an invalid one', async () => {
    const bytes = await writeBundle(sampleInputWithTexts());
    const ok = await inspectBundle(bytes);
    expect(ok).toMatchObject({
      valid: true,
      formatVersion: 1,
      counts: { chunks: 4, documents: 2 },
      missingDocEmbeddings: 2,
      hasDocumentTexts: true,
      bytes: bytes.byteLength,
    });
    expect(ok.model?.id).toBe('Xenova/all-MiniLM-L6-v2');
    const bad = await inspectBundle(bytes.subarray(0, 100));
    expect(bad.valid).toBe(false);
    expect(bad.error).toMatch(/Not a readable bundle zip/);
  });
});
