/** Writes bundle v1: checks the input, encodes the three data files, hashes them, zips. */

import { throwIfAborted } from '../abort.ts';
import { ProgressReporter } from '../progress.ts';
import { sha256OfParts } from './digest.ts';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  BundleError,
  CHUNKS_FILE,
  DOCUMENTS_FILE,
  EMBEDDINGS_FILE,
  MANIFEST_FILE,
  type BundleControl,
  type BundleFileEntry,
  type BundleInput,
  type BundleManifest,
} from './format.ts';
import { readString } from './fields.ts';
import {
  readChunking,
  readCreated,
  readMissingDocEmbeddings,
  readModel,
  serializeManifest,
} from './manifest.ts';
import { checkRecords, INPUT_PLACES } from './records.ts';
import { readSelection } from './selection.ts';
import { encodeChunksTable, encodeDocumentsTable } from './tables.ts';
import { embeddingsFileParts } from './tensors.ts';
import { partsLength, writeZip, zipTimestamp, type ZipSink } from './zip.ts';

/** Receives the bundle's bytes in order, e.g. a file stream; awaited before the next piece. */
export type BundleSink = ZipSink;

/**
 * Streams a bundle to `sink` without assembling it: the embeddings go out as views of the input
 * arrays, so the sink (a file, a `Blob` of parts) decides what is held in memory.
 * Returns the manifest that was written.
 */
export async function streamBundle(
  input: BundleInput,
  sink: BundleSink,
  control: BundleControl = {},
): Promise<BundleManifest> {
  const { signal } = control;
  const progress = new ProgressReporter(control.onProgress);
  progress.start('Checking the bundle contents');
  throwIfAborted(signal);

  const model = readModel(input.model, { file: undefined, field: 'model' });
  const chunking = readChunking(input.chunking, { file: undefined, field: 'chunking' });
  const missingDocEmbeddings = readMissingDocEmbeddings(input.missingDocEmbeddings ?? [], {
    file: undefined,
    field: 'missingDocEmbeddings',
  });
  const appVersion = readString(input.appVersion, { file: undefined, field: 'appVersion' }, true);
  const created = readCreated(input.created ?? new Date().toISOString(), {
    file: undefined,
    field: 'created',
  });
  const selection = readSelection(input.selection, { file: undefined, field: 'selection' });
  const withText = documentsCarryText(input);
  checkRecords(
    {
      dims: model.dims,
      chunks: input.chunks,
      embeddings: input.embeddings,
      documents: input.documents,
      docEmbeddings: input.docEmbeddings,
      missingDocEmbeddings,
    },
    INPUT_PLACES,
  );
  progress.update(0.05, 1, 'Writing chunks.parquet');
  throwIfAborted(signal);

  const createdBy = `Lumina ${appVersion}`;
  const chunksFile = encodeChunksTable(input.chunks, createdBy);
  progress.update(0.12, 1, 'Writing documents.parquet');
  throwIfAborted(signal);
  const documentsFile = encodeDocumentsTable(input.documents, withText, createdBy);
  const dataFiles: [string, Uint8Array[]][] = [
    [EMBEDDINGS_FILE, embeddingsFileParts(input, model.dims)],
    [CHUNKS_FILE, [chunksFile]],
    [DOCUMENTS_FILE, [documentsFile]],
  ];

  const toHash = dataFiles.reduce((sum, [, parts]) => sum + partsLength(parts), 0);
  const hashProgress = progress.sub(0.15, 0.4);
  let hashed = 0;
  const files: Record<string, BundleFileEntry> = {};
  for (const [name, parts] of dataFiles) {
    const sha256 = await sha256OfParts(parts, signal, (bytes) => {
      hashed += bytes;
      hashProgress(hashed, toHash, `Hashing ${name}`);
    });
    files[name] = { sha256, bytes: partsLength(parts) };
  }

  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    appVersion,
    created,
    model,
    chunking,
    counts: { documents: input.documents.length, chunks: input.chunks.length },
    missingDocEmbeddings,
    ...(selection ? { selection } : {}),
    files,
  };
  const zipProgress = progress.sub(0.4, 1);
  await writeZip(
    [
      { name: MANIFEST_FILE, parts: [serializeManifest(manifest)], deflate: true },
      ...dataFiles.map(([name, parts]) => ({ name, parts, deflate: false })),
    ],
    sink,
    {
      modified: zipTimestamp(created),
      signal,
      onBytes: (done, total) => zipProgress(done, total, 'Writing the bundle'),
    },
  );
  progress.finish('Bundle written');
  return manifest;
}

/** The whole bundle as one array (one copy at the end); prefer {@link streamBundle} for files. */
export async function writeBundle(
  input: BundleInput,
  control: BundleControl = {},
): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  await streamBundle(input, (chunk) => void pieces.push(chunk), control);
  const out = new Uint8Array(partsLength(pieces));
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.byteLength;
  }
  return out;
}

/** Document texts are all written or none: a column that is sometimes empty would lie. */
function documentsCarryText(input: BundleInput): boolean {
  const withText = input.documents.filter((d) => d.text !== undefined).length;
  if (withText > 0 && withText < input.documents.length) {
    const row = input.documents.findIndex((d) => d.text === undefined);
    throw new BundleError(
      'has no text while other documents do; include every document text or none',
      undefined,
      `documents[${row}].text`,
    );
  }
  return withText > 0;
}
