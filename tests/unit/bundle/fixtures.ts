import { unzipSync, zipSync, type Zippable } from 'fflate';
import { sha256Hex } from '../../../src/core/hash.ts';
import type {
  BundleChunk,
  BundleDocument,
  BundleInput,
  MissingDocEmbedding,
} from '../../../src/core/bundle/index.ts';

export const DIMS = 4;

const DOC_A = 'Alpha beta. Gamma délta 😀 end.';
const DOC_B = 'Second document\nwith two lines.';

/** Two documents with an average embedding, one without; chunks cover parts of their text. */
export function sampleInput(overrides: Partial<BundleInput> = {}): BundleInput {
  const chunks: BundleChunk[] = [
    chunkOf('doc-a', 0, 'a.txt', DOC_A, 0, 11, { page: 1 }),
    chunkOf('doc-a', 1, 'a.txt', DOC_A, 12, DOC_A.length, { page: 1, tags: ['x', 'y'] }),
    chunkOf('doc-b', 0, 'dir/b.md', DOC_B, 0, DOC_B.length, {}),
    chunkOf('doc-c', 0, 'c.txt', 'lonely', 0, 6, { note: null }),
  ];
  const documents: BundleDocument[] = [
    {
      docId: 'doc-a',
      source: 'a.txt',
      charCount: DOC_A.length,
      chunkCount: 2,
      metadata: { author: 'Ann', nested: { n: 1.5, ok: true } },
    },
    { docId: 'doc-b', source: 'dir/b.md', charCount: DOC_B.length, chunkCount: 1, metadata: {} },
  ];
  const missingDocEmbeddings: MissingDocEmbedding[] = [
    { docId: 'doc-c', source: 'c.txt', reason: 'embedding of its chunks did not finish' },
    { docId: 'doc-empty', source: 'empty.txt', reason: 'the document has no chunks' },
  ];
  return {
    appVersion: '0.1.0',
    created: '2025-03-04T05:06:07.000Z',
    model: {
      id: 'Xenova/all-MiniLM-L6-v2',
      revision: 'main',
      weightsSha256: 'ab'.repeat(32),
      dims: DIMS,
      pooling: 'mean',
      normalize: true,
      dtype: 'fp32',
      maxTokens: 256,
      queryPrefix: 'query: ',
      documentPrefix: '',
    },
    chunking: { mode: 'recursive', chunkTokens: 128, overlapTokens: 16, separators: ['\n\n', ' '] },
    chunks,
    embeddings: ramp(chunks.length * DIMS, 0.25),
    documents,
    docEmbeddings: ramp(documents.length * DIMS, -0.5),
    missingDocEmbeddings,
    ...overrides,
  };
}

/** The same documents with their full texts, which adds documents.parquet's `text` column. */
export function sampleInputWithTexts(): BundleInput {
  const input = sampleInput();
  const texts = [DOC_A, DOC_B];
  return {
    ...input,
    documents: input.documents.map((document, i) => ({ ...document, text: texts[i] ?? '' })),
  };
}

export function chunkOf(
  docId: string,
  chunkIndex: number,
  source: string,
  text: string,
  charStart: number,
  charEnd: number,
  metadata: BundleChunk['metadata'],
): BundleChunk {
  const slice = text.slice(charStart, charEnd);
  return {
    docId,
    chunkIndex,
    source,
    text: slice,
    charStart,
    charEnd,
    tokenCount: slice.split(/\s+/).length,
    metadata,
  };
}

export function ramp(length: number, start: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => start + i / 8);
}

export type ManifestJson = Record<string, unknown> & {
  files: Record<string, { sha256: string; bytes: number }>;
  model: Record<string, unknown>;
  counts: Record<string, unknown>;
};

/**
 * Unzips a bundle, lets `edit` change its files and manifest, and zips it again. With `rehash`,
 * the manifest's sha256 and sizes are recomputed so that only the edited content is at fault.
 */
export async function repack(
  bundle: Uint8Array,
  edit: (files: Record<string, Uint8Array>, manifest: ManifestJson) => void,
  options: { rehash: boolean },
): Promise<Uint8Array> {
  const files = unzipSync(bundle);
  const manifestBytes = files['manifest.json'];
  if (manifestBytes === undefined) throw new Error('fixture bundle has no manifest');
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as ManifestJson;
  delete files['manifest.json'];
  edit(files, manifest);
  if (options.rehash) {
    for (const [name, data] of Object.entries(files)) {
      manifest.files[name] = { sha256: await sha256Hex(data), bytes: data.byteLength };
    }
  }
  const entries: Zippable = { 'manifest.json': new TextEncoder().encode(JSON.stringify(manifest)) };
  for (const [name, data] of Object.entries(files)) entries[name] = data;
  return zipSync(entries);
}
