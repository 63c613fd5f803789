/**
 * Reads bundle v1 and verifies it: manifest schema and version, the file list against the zip,
 * sha256 and size of every file, tensor names/dtypes/shapes, Parquet columns and row counts, and
 * the record checks the writer applies (finite vectors, unique ids, chunks matching documents).
 */

import { throwIfAborted } from '../abort.ts';
import { sha256Hex } from '../hash.ts';
import { ProgressReporter } from '../progress.ts';
import {
  BundleError,
  CHUNKS_FILE,
  DOCUMENTS_FILE,
  EMBEDDINGS_FILE,
  MANIFEST_FILE,
  type Bundle,
  type BundleControl,
  type BundleManifest,
} from './format.ts';
import { MAX_MANIFEST_BYTES, parseManifest } from './manifest.ts';
import { BUNDLE_PLACES, checkRecords } from './records.ts';
import { readChunksTable, readDocumentsTable } from './tables.ts';
import { readEmbeddingsFile } from './tensors.ts';
import { extractZip, listZip, type ZipEntryInfo } from './zip.ts';

export async function readBundle(
  input: Uint8Array | ArrayBuffer,
  control: BundleControl = {},
): Promise<Bundle> {
  const { signal } = control;
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const progress = new ProgressReporter(control.onProgress);
  progress.start('Opening the bundle');
  throwIfAborted(signal);

  const entries = indexEntries(listZip(bytes));
  const manifest = readManifestEntry(bytes, entries);
  checkFileList(manifest, entries);
  progress.update(0.1, 1, 'Unpacking files');
  throwIfAborted(signal);

  const files = extractZip(bytes, new Set(Object.keys(manifest.files)));
  const names = Object.keys(manifest.files);
  for (const [i, name] of names.entries()) {
    throwIfAborted(signal);
    await verifyFile(name, files[name], manifest);
    progress.update(0.2 + (0.3 * (i + 1)) / names.length, 1, `Verified ${name}`);
  }

  const { embeddings, docEmbeddings } = readEmbeddingsFile(required(files, EMBEDDINGS_FILE), {
    chunks: manifest.counts.chunks,
    documents: manifest.counts.documents,
    dims: manifest.model.dims,
  });
  progress.update(0.55, 1, `Reading ${CHUNKS_FILE}`);
  throwIfAborted(signal);
  const chunks = await readChunksTable(required(files, CHUNKS_FILE), manifest.counts.chunks);
  progress.update(0.75, 1, `Reading ${DOCUMENTS_FILE}`);
  throwIfAborted(signal);
  const documents = await readDocumentsTable(
    required(files, DOCUMENTS_FILE),
    manifest.counts.documents,
  );
  progress.update(0.85, 1, 'Checking records');
  throwIfAborted(signal);
  checkRecords(
    {
      dims: manifest.model.dims,
      chunks,
      embeddings,
      documents,
      docEmbeddings,
      missingDocEmbeddings: manifest.missingDocEmbeddings,
    },
    BUNDLE_PLACES,
  );
  progress.finish('Bundle verified');
  return { manifest, chunks, embeddings, documents, docEmbeddings };
}

function indexEntries(list: ZipEntryInfo[]): Map<string, ZipEntryInfo> {
  const entries = new Map<string, ZipEntryInfo>();
  for (const entry of list) {
    // Two entries with one name would let a reader and a verifier see different files.
    if (entries.has(entry.name)) throw new BundleError('appears twice in the zip', entry.name);
    entries.set(entry.name, entry);
  }
  return entries;
}

function readManifestEntry(bytes: Uint8Array, entries: Map<string, ZipEntryInfo>): BundleManifest {
  const entry = entries.get(MANIFEST_FILE);
  if (entry === undefined) {
    throw new BundleError(`The zip has no ${MANIFEST_FILE}: it is not a Lumina bundle`);
  }
  if (entry.originalSize > MAX_MANIFEST_BYTES) {
    throw new BundleError(
      `is ${entry.originalSize} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`,
      MANIFEST_FILE,
    );
  }
  return parseManifest(required(extractZip(bytes, new Set([MANIFEST_FILE])), MANIFEST_FILE));
}

/** Every zip entry is listed with a hash, and every listed file is there at its stated size. */
function checkFileList(manifest: BundleManifest, entries: Map<string, ZipEntryInfo>): void {
  for (const name of entries.keys()) {
    if (name !== MANIFEST_FILE && !(name in manifest.files)) {
      throw new BundleError(
        `is not listed in ${MANIFEST_FILE} files (every file must have a sha256 there)`,
        name,
      );
    }
  }
  for (const [name, listed] of Object.entries(manifest.files)) {
    const entry = entries.get(name);
    if (entry === undefined) {
      throw new BundleError(`is listed in ${MANIFEST_FILE} but missing from the zip`, name);
    }
    if (entry.originalSize !== listed.bytes) {
      throw new BundleError(
        `is ${entry.originalSize} bytes in the zip, ${MANIFEST_FILE} says ${listed.bytes}`,
        name,
      );
    }
  }
}

async function verifyFile(
  name: string,
  data: Uint8Array | undefined,
  manifest: BundleManifest,
): Promise<void> {
  const listed = manifest.files[name];
  if (data === undefined || listed === undefined) {
    throw new BundleError(`is listed in ${MANIFEST_FILE} but missing from the zip`, name);
  }
  if (data.byteLength !== listed.bytes) {
    throw new BundleError(
      `unpacks to ${data.byteLength} bytes, ${MANIFEST_FILE} says ${listed.bytes}`,
      name,
    );
  }
  const actual = await sha256Hex(data);
  if (actual !== listed.sha256) {
    throw new BundleError(
      `sha256 ${actual} does not match ${MANIFEST_FILE} (${listed.sha256}): the file was changed or damaged`,
      name,
    );
  }
}

function required(files: Record<string, Uint8Array>, name: string): Uint8Array {
  const data = files[name];
  if (data === undefined) throw new BundleError('is missing from the zip', name);
  return data;
}
