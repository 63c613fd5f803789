import { describe, expect, it } from 'vitest';
import { BundleError, writeBundle, type BundleInput } from '../../../src/core/bundle/index.ts';
import { DIMS, sampleInput, sampleInputWithTexts } from './fixtures.ts';

async function expectRefused(input: BundleInput, message: string): Promise<void> {
  const error: unknown = await writeBundle(input).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BundleError);
  expect((error as Error).message).toContain(message);
}

function edited(edit: (input: BundleInput) => void): BundleInput {
  const input = sampleInputWithTexts();
  edit(input);
  return input;
}

describe('writeBundle refuses input that would make a bad bundle', () => {
  it('writes the unedited sample (control)', async () => {
    await expect(writeBundle(sampleInputWithTexts())).resolves.toBeInstanceOf(Uint8Array);
  });

  it('NaN or infinite vectors, instead of writing them', async () => {
    await expectRefused(
      edited((input) => (input.embeddings[2 * DIMS + 1] = Number.NaN)),
      'embeddings row 2 column 1 is NaN (vectors must be finite)',
    );
    await expectRefused(
      edited((input) => (input.docEmbeddings[0] = Number.POSITIVE_INFINITY)),
      'docEmbeddings row 0 column 0 is Infinity',
    );
  });

  it('vectors whose length does not match rows × dims', async () => {
    await expectRefused(
      edited((input) => (input.embeddings = new Float32Array(3 * DIMS))),
      'embeddings holds 12 values; 4 chunks × 4 dims needs 16',
    );
    await expectRefused(
      edited((input) => (input.model = { ...input.model, dims: 8 })),
      'embeddings holds 16 values; 4 chunks × 8 dims needs 32',
    );
  });

  it('chunks that repeat, point nowhere or contradict their offsets', async () => {
    await expectRefused(
      edited((input) => input.chunks.push(...input.chunks.slice(0, 1))),
      'embeddings holds 16 values; 5 chunks',
    );
    const duplicate = edited((input) => {
      const first = input.chunks[0];
      if (first) input.chunks[1] = { ...first };
    });
    await expectRefused(duplicate, 'chunks[1].id "doc-a#0" appears more than once');
    await expectRefused(
      edited((input) => input.chunks[3] && (input.chunks[3].docId = 'nobody')),
      'chunks[3].docId "nobody" is neither in documents nor in missingDocEmbeddings',
    );
    await expectRefused(
      edited((input) => input.chunks[0] && (input.chunks[0].text = 'Alpha beta!')),
      "chunks[0].text differs from its document's text at 0..11",
    );
    await expectRefused(
      edited((input) => input.chunks[0] && (input.chunks[0].charStart = 12)),
      'chunks[0].charEnd must be a whole number from 12',
    );
    await expectRefused(
      edited((input) => input.chunks[2] && (input.chunks[2].source = 'other.md')),
      `chunks[2].source "other.md" differs from its document's source "dir/b.md"`,
    );
    await expectRefused(
      edited((input) => input.chunks[0] && (input.chunks[0].tokenCount = 1.5)),
      'chunks[0].tokenCount must be a whole number',
    );
  });

  it('documents with a wrong chunk count, duplicate ids, or some texts missing', async () => {
    await expectRefused(
      edited((input) => input.documents[1] && (input.documents[1].chunkCount = 2)),
      'documents[1].chunkCount is 2 but 1 chunks have this doc id',
    );
    await expectRefused(
      edited((input) => input.documents[1] && (input.documents[1].docId = 'doc-a')),
      'documents[1].docId "doc-a" appears more than once',
    );
    await expectRefused(
      edited((input) => delete input.documents[1]?.text),
      'documents[1].text has no text while other documents do',
    );
    await expectRefused(
      edited((input) => input.documents[0] && (input.documents[0].charCount = 5)),
      'documents[0].text has 31 characters but char count is 5',
    );
  });

  it('a document both embedded and listed as missing', async () => {
    await expectRefused(
      edited((input) =>
        input.missingDocEmbeddings?.push({ docId: 'doc-b', source: 'dir/b.md', reason: 'x' }),
      ),
      'missingDocEmbeddings[2].docId "doc-b" is listed as missing but also has a document row',
    );
  });

  it('metadata that JSON cannot carry', async () => {
    await expectRefused(
      edited((input) => input.chunks[0] && (input.chunks[0].metadata = { score: Number.NaN })),
      'chunks[0].metadata.score must be a finite number',
    );
  });

  it('model settings that are incomplete or unknown', async () => {
    const base = sampleInput();
    await expectRefused(
      { ...base, model: { ...base.model, revision: null, weightsSha256: null } },
      'model needs a revision or a weightsSha256',
    );
    await expectRefused(
      { ...base, model: { ...base.model, maxTokens: 0 } },
      'model.maxTokens must be a whole number from 1',
    );
    await expectRefused({ ...base, created: '04/03/2025' }, 'created must be an ISO 8601 time');
    await expectRefused({ ...base, appVersion: '' }, 'appVersion must not be empty');
  });
});
