import { unzipSync } from 'fflate';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { writeBundle } from '../../../src/core/bundle/index.ts';
import { embeddingsFileParts } from '../../../src/core/bundle/tensors.ts';
import { decodeSafetensors, encodeSafetensors } from '../../../src/core/model/safetensors.ts';
import { DIMS, sampleInput, sampleInputWithTexts } from './fixtures.ts';

async function bundleFiles(input = sampleInput()): Promise<Record<string, Uint8Array>> {
  return unzipSync(await writeBundle(input));
}

function file(files: Record<string, Uint8Array>, name: string): ArrayBuffer {
  const data = files[name];
  if (data === undefined) throw new Error(`${name} is not in the bundle`);
  return new Uint8Array(data).buffer;
}

/** Each leaf column as [name, physical type, converted type, repetition]. */
function columns(buffer: ArrayBuffer): (string | undefined)[][] {
  return parquetMetadata(buffer)
    .schema.slice(1)
    .map((e) => [e.name, e.type, e.converted_type, e.repetition_type]);
}

describe('embeddings.safetensors', () => {
  it('holds exactly embeddings [chunks, dims] and doc_embeddings [documents, dims] in F32', async () => {
    const bytes = new Uint8Array(file(await bundleFiles(), 'embeddings.safetensors'));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)),
    ) as unknown;
    expect(header).toEqual({
      doc_embeddings: { dtype: 'F32', shape: [2, DIMS], data_offsets: [0, 2 * DIMS * 4] },
      embeddings: {
        dtype: 'F32',
        shape: [4, DIMS],
        data_offsets: [2 * DIMS * 4, 6 * DIMS * 4],
      },
    });
    expect(headerLength % 8).toBe(0);
    const input = sampleInput();
    const decoded = decodeSafetensors(bytes);
    expect(decoded.tensors.get('embeddings')?.data).toEqual(input.embeddings);
    expect(decoded.tensors.get('doc_embeddings')?.data).toEqual(input.docEmbeddings);
  });

  it('is byte-identical to the reference-layout encoder, though written in parts', () => {
    const input = sampleInput();
    const parts = embeddingsFileParts(input, DIMS);
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((offset, part) => (joined.set(part, offset), offset + part.length), 0);
    const reference = encodeSafetensors({
      embeddings: { dtype: 'F32', shape: [4, DIMS], data: input.embeddings },
      doc_embeddings: { dtype: 'F32', shape: [2, DIMS], data: input.docEmbeddings },
    });
    expect(joined).toEqual(reference);
  });
});

describe('chunks.parquet', () => {
  it('has the exact columns and types, row i matching embedding row i', async () => {
    const buffer = file(await bundleFiles(), 'chunks.parquet');
    expect(columns(buffer)).toEqual([
      ['id', 'BYTE_ARRAY', 'UTF8', 'REQUIRED'],
      ['doc_id', 'BYTE_ARRAY', 'UTF8', 'REQUIRED'],
      ['source', 'BYTE_ARRAY', 'UTF8', 'REQUIRED'],
      ['text', 'BYTE_ARRAY', 'UTF8', 'REQUIRED'],
      ['char_start', 'INT32', undefined, 'REQUIRED'],
      ['char_end', 'INT32', undefined, 'REQUIRED'],
      ['token_count', 'INT32', undefined, 'REQUIRED'],
      ['metadata', 'BYTE_ARRAY', 'UTF8', 'REQUIRED'],
    ]);
    const rows = await parquetReadObjects({ file: buffer });
    const input = sampleInput();
    expect(rows).toEqual(
      input.chunks.map((c) => ({
        id: `${c.docId}#${c.chunkIndex}`,
        doc_id: c.docId,
        source: c.source,
        text: c.text,
        char_start: c.charStart,
        char_end: c.charEnd,
        token_count: c.tokenCount,
        metadata: JSON.stringify(c.metadata),
      })),
    );
    expect(rows[1]).toMatchObject({ id: 'doc-a#1', metadata: '{"page":1,"tags":["x","y"]}' });
  });
});

describe('documents.parquet', () => {
  it('has the exact columns and types, row j matching doc_embeddings row j', async () => {
    const buffer = file(await bundleFiles(), 'documents.parquet');
    expect(columns(buffer)).toEqual([
      ['doc_id', 'BYTE_ARRAY', 'UTF8', 'REQUIRED'],
      ['source', 'BYTE_ARRAY', 'UTF8', 'REQUIRED'],
      ['char_count', 'INT32', undefined, 'REQUIRED'],
      ['chunk_count', 'INT32', undefined, 'REQUIRED'],
      ['metadata', 'BYTE_ARRAY', 'UTF8', 'REQUIRED'],
    ]);
    const rows = await parquetReadObjects({ file: buffer });
    expect(rows).toEqual([
      {
        doc_id: 'doc-a',
        source: 'a.txt',
        char_count: 31,
        chunk_count: 2,
        metadata: '{"author":"Ann","nested":{"n":1.5,"ok":true}}',
      },
      { doc_id: 'doc-b', source: 'dir/b.md', char_count: 31, chunk_count: 1, metadata: '{}' },
    ]);
  });

  it('gains a text column when the documents carry their texts', async () => {
    const buffer = file(await bundleFiles(sampleInputWithTexts()), 'documents.parquet');
    expect(columns(buffer).at(-1)).toEqual(['text', 'BYTE_ARRAY', 'UTF8', 'REQUIRED']);
    const rows = await parquetReadObjects({ file: buffer, columns: ['text'] });
    expect(rows.map((row) => row.text as unknown)).toEqual(
      sampleInputWithTexts().documents.map((d) => d.text),
    );
  });
});

describe('manifest.json', () => {
  it('is indented JSON naming the format, and lists no hash for itself', async () => {
    const text = new TextDecoder().decode(file(await bundleFiles(), 'manifest.json'));
    expect(text.startsWith('{\n  "format": "lumina-bundle",\n  "formatVersion": 1,')).toBe(true);
    const manifest = JSON.parse(text) as { files: Record<string, unknown> };
    expect(Object.keys(manifest.files)).toEqual([
      'embeddings.safetensors',
      'chunks.parquet',
      'documents.parquet',
    ]);
  });
});
