import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  readBundle,
  streamBundle,
  writeBundle,
  type BundleInput,
} from '../../../src/core/bundle/index.ts';
import { sha256Hex } from '../../../src/core/hash.ts';
import type { Progress } from '../../../src/core/progress.ts';
import { chunkOf, ramp, sampleInput, sampleInputWithTexts } from './fixtures.ts';

function expectSameRecords(input: BundleInput, read: Awaited<ReturnType<typeof readBundle>>) {
  expect(read.chunks).toEqual(input.chunks);
  expect(read.documents).toEqual(input.documents);
  expect(sameFloats(read.embeddings, input.embeddings)).toBe(true);
  expect(sameFloats(read.docEmbeddings, input.docEmbeddings)).toBe(true);
}

/** Bit-for-bit equality (vitest's deep equality is slow on millions of elements). */
function sameFloats(a: Float32Array, b: Float32Array): boolean {
  const bytesA = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const bytesB = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return bytesA.length === bytesB.length && bytesA.every((byte, i) => byte === bytesB[i]);
}

describe('bundle round trip', () => {
  it('reads back exactly what was written, manifest included', async () => {
    const input = sampleInput();
    const bundle = await readBundle(await writeBundle(input));
    expectSameRecords(input, bundle);
    const { files, ...manifest } = bundle.manifest;
    expect(manifest).toEqual({
      format: BUNDLE_FORMAT,
      formatVersion: BUNDLE_FORMAT_VERSION,
      appVersion: input.appVersion,
      created: input.created,
      model: input.model,
      chunking: input.chunking,
      counts: { documents: 2, chunks: 4 },
      missingDocEmbeddings: input.missingDocEmbeddings,
    });
    expect(Object.keys(files).sort()).toEqual([
      'chunks.parquet',
      'documents.parquet',
      'embeddings.safetensors',
    ]);
  });

  it('keeps full document texts when every document has one', async () => {
    const input = sampleInputWithTexts();
    const bundle = await readBundle(await writeBundle(input));
    expectSameRecords(input, bundle);
    expect(bundle.documents[0]?.text).toBe('Alpha beta. Gamma délta 😀 end.');
  });

  it('lists sha256 and size of every file as stored in the zip', async () => {
    const bytes = await writeBundle(sampleInput());
    const files = unzipSync(bytes);
    const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json'])) as {
      files: Record<string, { sha256: string; bytes: number }>;
    };
    const names = Object.keys(files).filter((name) => name !== 'manifest.json');
    expect(Object.keys(manifest.files).sort()).toEqual(names.sort());
    for (const name of names) {
      const data = files[name] ?? new Uint8Array();
      expect(manifest.files[name]).toEqual({ sha256: await sha256Hex(data), bytes: data.length });
    }
  });

  it('round-trips an empty bundle', async () => {
    const input = sampleInput({
      chunks: [],
      embeddings: new Float32Array(0),
      documents: [],
      docEmbeddings: new Float32Array(0),
      missingDocEmbeddings: [],
    });
    const bundle = await readBundle(await writeBundle(input));
    expectSameRecords(input, bundle);
    expect(bundle.manifest.counts).toEqual({ documents: 0, chunks: 0 });
  });

  it('round-trips vectors larger than one streaming slice', async () => {
    const dims = 768;
    const rows = 3000; // 9.2 MB of floats: more than one 8 MiB slice
    const text = 'word '.repeat(rows);
    const chunks = Array.from({ length: rows }, (_, i) =>
      chunkOf('big', i, 'big.txt', text, i * 5, i * 5 + 5, { i }),
    );
    const base = sampleInput();
    const input: BundleInput = {
      ...base,
      model: { ...base.model, dims },
      chunks,
      embeddings: Float32Array.from({ length: rows * dims }, (_, i) => Math.sin(i)),
      documents: [
        { docId: 'big', source: 'big.txt', charCount: text.length, chunkCount: rows, metadata: {} },
      ],
      docEmbeddings: ramp(dims, 0),
      missingDocEmbeddings: [],
    };
    expectSameRecords(input, await readBundle(await writeBundle(input)));
  });

  it('is byte-identical for the same input and creation time', async () => {
    const first = await writeBundle(sampleInput());
    const second = await writeBundle(sampleInput());
    expect(second).toEqual(first);
  });

  it('defaults the creation time to now', async () => {
    const before = Date.now();
    const input = sampleInput();
    delete input.created;
    const { manifest } = await readBundle(await writeBundle(input));
    expect(Date.parse(manifest.created)).toBeGreaterThanOrEqual(before - 1);
    expect(Date.parse(manifest.created)).toBeLessThanOrEqual(Date.now());
  });

  it('streams the same bytes as writeBundle, passing vectors as views of the input', async () => {
    const input = sampleInput();
    const pieces: Uint8Array[] = [];
    const manifest = await streamBundle(input, async (piece) => {
      await Promise.resolve();
      pieces.push(piece);
    });
    const joined = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    pieces.reduce((offset, piece) => (joined.set(piece, offset), offset + piece.length), 0);
    expect(joined).toEqual(await writeBundle(input));
    expect(pieces.some((piece) => piece.buffer === input.embeddings.buffer)).toBe(true);
    expect(manifest.counts).toEqual({ documents: 2, chunks: 4 });
  });

  it('reports progress that never goes backwards and ends at 1, when writing and reading', async () => {
    const events: Progress[] = [];
    const bytes = await writeBundle(sampleInput(), { onProgress: (e) => events.push(e) });
    const readEvents: Progress[] = [];
    await readBundle(bytes, { onProgress: (e) => readEvents.push(e) });
    for (const list of [events, readEvents]) {
      const fractions = list.map((e) => e.fraction);
      expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
      expect(list[0]?.status).toBe('start');
      expect(list.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
      expect(list.length).toBeGreaterThan(3);
    }
  });

  it('stops with an AbortError when aborted before or during the work', async () => {
    const aborted = AbortSignal.abort();
    await expect(writeBundle(sampleInput(), { signal: aborted })).rejects.toMatchObject({
      name: 'AbortError',
    });
    const bytes = await writeBundle(sampleInput());
    await expect(readBundle(bytes, { signal: aborted })).rejects.toMatchObject({
      name: 'AbortError',
    });

    const controller = new AbortController();
    const pieces: Uint8Array[] = [];
    const writing = streamBundle(sampleInput(), (piece) => void pieces.push(piece), {
      signal: controller.signal,
      onProgress: (event) => {
        if (event.fraction >= 0.4) controller.abort();
      },
    });
    await expect(writing).rejects.toMatchObject({ name: 'AbortError' });
    expect(pieces.length).toBeLessThan(6);
  });

  it('accepts an ArrayBuffer as well as a Uint8Array', async () => {
    const bytes = await writeBundle(sampleInput());
    const copy = new Uint8Array(bytes).buffer;
    expect((await readBundle(copy)).chunks).toHaveLength(4);
  });

  it('stores the reader-facing files uncompressed and the manifest first', async () => {
    const bytes = await writeBundle(sampleInput());
    const seen: { name: string; compression: number }[] = [];
    unzipSync(bytes, {
      filter: ({ name, compression }) => (seen.push({ name, compression }), false),
    });
    expect(seen).toEqual([
      { name: 'manifest.json', compression: 8 },
      { name: 'embeddings.safetensors', compression: 0 },
      { name: 'chunks.parquet', compression: 0 },
      { name: 'documents.parquet', compression: 0 },
    ]);
  });
});
