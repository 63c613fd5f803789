import { zipSync } from 'fflate';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { BundleError, readBundle, writeBundle } from '../../../src/core/bundle/index.ts';
import { encodeChunksTable, encodeDocumentsTable } from '../../../src/core/bundle/tables.ts';
import { encodeSafetensors } from '../../../src/core/model/safetensors.ts';
import { DIMS, repack, sampleInput, type ManifestJson } from './fixtures.ts';

let good: Uint8Array;
beforeAll(async () => {
  good = await writeBundle(sampleInput());
});

async function expectRejected(bundle: Uint8Array, message: string | RegExp): Promise<void> {
  const error: unknown = await readBundle(bundle).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BundleError);
  expect((error as Error).message).toMatch(message);
}

function embeddingsFile(embeddings: Float32Array, docEmbeddings: Float32Array, dims: number) {
  return encodeSafetensors({
    embeddings: { dtype: 'F32', shape: [embeddings.length / dims, dims], data: embeddings },
    doc_embeddings: {
      dtype: 'F32',
      shape: [docEmbeddings.length / dims, dims],
      data: docEmbeddings,
    },
  });
}

const editManifest = (edit: (manifest: ManifestJson) => void) =>
  repack(good, (_, manifest) => edit(manifest), { rehash: false });

describe('readBundle accepts additive v1 changes', () => {
  it('ignores unknown manifest fields and verifies, then ignores, unknown listed files', async () => {
    const extended = await repack(
      good,
      (files, manifest) => {
        manifest.comment = 'added by a later v1 writer';
        manifest.model.license = 'apache-2.0';
        files['README.txt'] = new TextEncoder().encode('hello');
      },
      { rehash: true },
    );
    const bundle = await readBundle(extended);
    expect(bundle.chunks).toEqual(sampleInput().chunks);
    expect(bundle.manifest.files['README.txt']?.bytes).toBe(5);
    expect(bundle.manifest).not.toHaveProperty('comment');

    const damagedExtra = await repack(
      extended,
      (files) => (files['README.txt'] = new TextEncoder().encode('HELLO')),
      { rehash: false },
    );
    await expectRejected(damagedExtra, /^README\.txt: sha256 .* does not match manifest\.json/);
  });
});

describe('readBundle refuses', () => {
  it('a bundle that reads fine to begin with (control)', async () => {
    await expect(readBundle(good)).resolves.toBeDefined();
    await expect(
      repack(good, () => undefined, { rehash: true }).then(readBundle),
    ).resolves.toBeDefined();
  });

  it('a tampered file, by its sha256', async () => {
    const tampered = await repack(
      good,
      (files) => {
        const data = files['chunks.parquet'];
        const at = (data?.length ?? 0) - 20;
        if (data) data[at] = (data[at] ?? 0) ^ 0xff;
      },
      { rehash: false },
    );
    await expectRejected(
      tampered,
      /^chunks\.parquet: sha256 [0-9a-f]{64} does not match manifest\.json \([0-9a-f]{64}\)/,
    );
  });

  it('a file whose size differs from the manifest', async () => {
    const grown = await repack(
      good,
      (files, manifest) => {
        files['documents.parquet'] = new Uint8Array(10);
        manifest.files['documents.parquet'] = { sha256: '0'.repeat(64), bytes: 11 };
      },
      { rehash: false },
    );
    await expectRejected(grown, 'documents.parquet: is 10 bytes in the zip, manifest.json says 11');
  });

  it('a missing file', async () => {
    const missing = await repack(good, (files) => delete files['documents.parquet'], {
      rehash: false,
    });
    await expectRejected(
      missing,
      'documents.parquet: is listed in manifest.json but missing from the zip',
    );
  });

  it('a manifest that does not list a required file', async () => {
    const unlisted = await editManifest((manifest) => delete manifest.files['chunks.parquet']);
    await expectRejected(unlisted, 'manifest.json: files must list chunks.parquet');
  });

  it('a file the manifest does not list', async () => {
    const extra = await repack(good, (files) => (files['extra.bin'] = new Uint8Array([1])), {
      rehash: false,
    });
    await expectRejected(extra, 'extra.bin: is not listed in manifest.json files');
  });

  it('a newer or unknown format version, and a foreign format', async () => {
    await expectRejected(
      await editManifest((m) => (m.formatVersion = 2)),
      'manifest.json: formatVersion 2 is not supported: this Lumina reads bundle format version 1; update Lumina to open it',
    );
    await expectRejected(
      await editManifest((m) => (m.formatVersion = '1')),
      'manifest.json: formatVersion must be a whole number',
    );
    await expectRejected(
      await editManifest((m) => (m.format = 'other-bundle')),
      'manifest.json: format must be "lumina-bundle" (got "other-bundle"): not a Lumina bundle',
    );
  });

  it('manifest fields of the wrong type or value, naming the field', async () => {
    const cases: [(m: ManifestJson) => void, string][] = [
      [(m) => delete m.model.dims, 'manifest.json: model.dims must be a whole number from 1'],
      [
        (m) => (m.model.pooling = 'max'),
        'manifest.json: model.pooling must be one of mean, cls, last_token (got "max")',
      ],
      [(m) => (m.model.dtype = 'int4'), 'manifest.json: model.dtype must be one of fp32, fp16, q8'],
      [(m) => (m.model.normalize = 'yes'), 'manifest.json: model.normalize must be true or false'],
      [
        (m) => {
          m.model.revision = null;
          m.model.weightsSha256 = null;
        },
        'manifest.json: model needs a revision or a weightsSha256',
      ],
      [
        (m) => (m.model.weightsSha256 = 'XYZ'),
        'manifest.json: model.weightsSha256 must be 64 lowercase hex digits',
      ],
      [(m) => (m.created = 'yesterday'), 'manifest.json: created must be an ISO 8601 time'],
      [(m) => (m.counts.chunks = -1), 'manifest.json: counts.chunks must be a whole number from 0'],
      [
        (m) => (m.chunking = { mode: 'recursive', chunkTokens: 0, overlapTokens: 0 }),
        'manifest.json: chunking.chunkTokens must be a whole number from 1',
      ],
      [
        (m) => (m.missingDocEmbeddings = [{ docId: 'x', source: 's' }]),
        'manifest.json: missingDocEmbeddings[0].reason must be a string',
      ],
      [
        (m) => (m.files['embeddings.safetensors'] = { sha256: 'abc', bytes: 1 }),
        'manifest.json: files["embeddings.safetensors"].sha256 must be 64 lowercase hex digits',
      ],
      [
        (m) => (m.files['../evil'] = { sha256: '0'.repeat(64), bytes: 1 }),
        'manifest.json: files["../evil"] is not an allowed file name',
      ],
    ];
    for (const [edit, message] of cases) {
      await expectRejected(await editManifest(edit), message);
    }
  });

  it('a manifest that is not JSON, and a zip without one', async () => {
    const files = { 'manifest.json': new TextEncoder().encode('{"format": ') };
    await expectRejected(zipSync(files), /^manifest\.json: is not valid UTF-8 JSON/);
    await expectRejected(
      zipSync({ 'a.txt': new Uint8Array(1) }),
      'The zip has no manifest.json: it is not a Lumina bundle',
    );
  });

  it('bytes that are not a zip', async () => {
    await expectRejected(
      new TextEncoder().encode('hello, not a zip'),
      /^Not a readable zip archive/,
    );
    await expectRejected(good.subarray(0, good.length - 30), /^Not a readable zip archive/);
  });

  it('vectors of the wrong dims', async () => {
    const input = sampleInput();
    const wrongDims = await repack(
      good,
      (files) => {
        files['embeddings.safetensors'] = embeddingsFile(input.embeddings, input.docEmbeddings, 2);
      },
      { rehash: true },
    );
    await expectRejected(
      wrongDims,
      'embeddings.safetensors: tensor "embeddings" has shape [8, 2], expected [4, 4] (dims from manifest.json model.dims)',
    );
    const manifestDims = await repack(good, (_, m) => (m.model.dims = 8), { rehash: true });
    await expectRejected(manifestDims, 'expected [4, 8] (dims from manifest.json model.dims)');
  });

  it('row counts that disagree between manifest, tensors and tables', async () => {
    const input = sampleInput();
    const fewerRows = await repack(
      good,
      (files) => {
        files['embeddings.safetensors'] = embeddingsFile(
          input.embeddings.subarray(0, 3 * DIMS),
          input.docEmbeddings,
          DIMS,
        );
      },
      { rehash: true },
    );
    await expectRejected(
      fewerRows,
      'embeddings.safetensors: tensor "embeddings" has shape [3, 4], expected [4, 4] (rows from manifest.json counts.chunks)',
    );
    const counted = await repack(
      good,
      (files, m) => {
        m.counts.documents = 1;
        files['embeddings.safetensors'] = embeddingsFile(
          input.embeddings,
          input.docEmbeddings.subarray(0, DIMS),
          DIMS,
        );
      },
      { rehash: true },
    );
    await expectRejected(
      counted,
      'documents.parquet: has 2 rows, manifest.json counts.documents says 1',
    );
  });

  it('NaN or infinite values, naming tensor, row and column', async () => {
    const input = sampleInput();
    const withNaN = Float32Array.from(input.embeddings);
    withNaN[1 * DIMS + 2] = Number.NaN;
    await expectRejected(
      await repack(
        good,
        (files) =>
          (files['embeddings.safetensors'] = embeddingsFile(withNaN, input.docEmbeddings, DIMS)),
        { rehash: true },
      ),
      'embeddings.safetensors: tensor "embeddings" row 1 column 2 is NaN (vectors must be finite)',
    );
    const withInf = Float32Array.from(input.docEmbeddings);
    withInf[DIMS + 3] = Number.NEGATIVE_INFINITY;
    await expectRejected(
      await repack(
        good,
        (files) =>
          (files['embeddings.safetensors'] = embeddingsFile(input.embeddings, withInf, DIMS)),
        { rehash: true },
      ),
      'embeddings.safetensors: tensor "doc_embeddings" row 1 column 3 is -Infinity',
    );
  });

  it('extra, missing or non-F32 tensors', async () => {
    const input = sampleInput();
    const extraTensor = encodeSafetensors({
      embeddings: { dtype: 'F32', shape: [4, DIMS], data: input.embeddings },
      doc_embeddings: { dtype: 'F32', shape: [2, DIMS], data: input.docEmbeddings },
      ids: { dtype: 'I64', shape: [1], data: new BigInt64Array(1) },
    });
    await expectRejected(
      await repack(good, (files) => (files['embeddings.safetensors'] = extraTensor), {
        rehash: true,
      }),
      'embeddings.safetensors: tensors must be exactly "doc_embeddings" and "embeddings" (found "doc_embeddings", "embeddings", "ids")',
    );
    const halfPrecision = encodeSafetensors({
      embeddings: { dtype: 'F16', shape: [4, DIMS], data: new Uint16Array(4 * DIMS) },
      doc_embeddings: { dtype: 'F32', shape: [2, DIMS], data: input.docEmbeddings },
    });
    await expectRejected(
      await repack(good, (files) => (files['embeddings.safetensors'] = halfPrecision), {
        rehash: true,
      }),
      'embeddings.safetensors: tensor "embeddings" must be F32 (found F16)',
    );
    await expectRejected(
      await repack(good, (files) => (files['embeddings.safetensors'] = new Uint8Array(4)), {
        rehash: true,
      }),
      /^embeddings\.safetensors: File is 4 bytes/,
    );
  });

  it('Parquet columns with a wrong name, order or type', async () => {
    const chunks = sampleInput().chunks;
    const table = (startAsString: boolean) =>
      new Uint8Array(
        parquetWriteBuffer({
          columnData: [
            { name: 'id', data: chunks.map((c) => `${c.docId}#${c.chunkIndex}`), type: 'STRING' },
            { name: 'doc_id', data: chunks.map((c) => c.docId), type: 'STRING' },
            { name: 'source', data: chunks.map((c) => c.source), type: 'STRING' },
            { name: 'text', data: chunks.map((c) => c.text), type: 'STRING' },
            startAsString
              ? { name: 'char_start', data: chunks.map((c) => String(c.charStart)), type: 'STRING' }
              : { name: 'start', data: chunks.map((c) => c.charStart), type: 'INT32' },
            { name: 'char_end', data: chunks.map((c) => c.charEnd), type: 'INT32' },
            { name: 'token_count', data: chunks.map((c) => c.tokenCount), type: 'INT32' },
            {
              name: 'metadata',
              data: chunks.map((c) => JSON.stringify(c.metadata)),
              type: 'STRING',
            },
          ],
        }),
      );
    await expectRejected(
      await repack(good, (files) => (files['chunks.parquet'] = table(true)), { rehash: true }),
      'chunks.parquet: column char_start must be INT32 (found BYTE_ARRAY, UTF8)',
    );
    await expectRejected(
      await repack(good, (files) => (files['chunks.parquet'] = table(false)), { rehash: true }),
      'chunks.parquet: columns must be id, doc_id, source, text, char_start, char_end, token_count, metadata in this order (found id, doc_id, source, text, start,',
    );
    await expectRejected(
      await repack(good, (files) => (files['chunks.parquet'] = new Uint8Array([1, 2, 3])), {
        rehash: true,
      }),
      /^chunks\.parquet: is not a readable Parquet file/,
    );
  });

  it('records that break the bundle rules, naming file, row and column', async () => {
    const swapTables = async (
      edit: (input: ReturnType<typeof sampleInput>) => void,
      names: string[],
    ) => {
      // The table encoders do not check the records, so they can write inconsistent ones.
      const input = sampleInput();
      edit(input);
      const donor: Record<string, Uint8Array> = {
        'chunks.parquet': encodeChunksTable(input.chunks, 'test'),
        'documents.parquet': encodeDocumentsTable(input.documents, false, 'test'),
      };
      return repack(
        good,
        (files) => {
          for (const name of names) files[name] = donor[name] ?? new Uint8Array();
        },
        { rehash: true },
      );
    };
    await expectRejected(
      await swapTables(
        (input) => input.chunks[1] && (input.chunks[1].chunkIndex = 0),
        ['chunks.parquet'],
      ),
      'chunks.parquet: row 1 id "doc-a#0" appears more than once',
    );
    await expectRejected(
      await swapTables(
        (input) => input.chunks[2] && (input.chunks[2].docId = 'doc-z'),
        ['chunks.parquet'],
      ),
      'chunks.parquet: row 2 doc_id "doc-z" is neither in documents nor in missingDocEmbeddings',
    );
    await expectRejected(
      await swapTables(
        (input) => input.documents[0] && (input.documents[0].chunkCount = 5),
        ['documents.parquet'],
      ),
      'documents.parquet: row 0 chunk_count is 5 but 2 chunks have this doc id',
    );
    await expectRejected(
      await swapTables(
        (input) => input.chunks[0] && (input.chunks[0].charEnd = 12),
        ['chunks.parquet'],
      ),
      'chunks.parquet: row 0 text has 11 characters but its offsets 0..12 span 12',
    );
  });

  it('a chunk id that is not <doc_id>#<chunk_index>', async () => {
    const chunks = sampleInput().chunks;
    const bad = await repack(
      good,
      (files) => {
        files['chunks.parquet'] = new Uint8Array(
          parquetWriteBuffer({
            columnData: [
              {
                name: 'id',
                data: chunks.map((c, i) => (i === 3 ? 'doc-c:0' : `${c.docId}#${c.chunkIndex}`)),
                type: 'STRING',
              },
              { name: 'doc_id', data: chunks.map((c) => c.docId), type: 'STRING' },
              { name: 'source', data: chunks.map((c) => c.source), type: 'STRING' },
              { name: 'text', data: chunks.map((c) => c.text), type: 'STRING' },
              { name: 'char_start', data: chunks.map((c) => c.charStart), type: 'INT32' },
              { name: 'char_end', data: chunks.map((c) => c.charEnd), type: 'INT32' },
              { name: 'token_count', data: chunks.map((c) => c.tokenCount), type: 'INT32' },
              {
                name: 'metadata',
                data: chunks.map((c) => JSON.stringify(c.metadata)),
                type: 'STRING',
              },
            ],
          }),
        );
      },
      { rehash: true },
    );
    await expectRejected(
      bad,
      'chunks.parquet: row 3 id "doc-c:0" must be "<doc_id>#<chunk_index>" for doc_id "doc-c"',
    );
  });
});
