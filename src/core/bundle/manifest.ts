/** manifest.json: building it for the writer, and checking it field by field for the reader. */

import {
  BUNDLE_DTYPES,
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  BUNDLE_POOLINGS,
  MANIFEST_FILE,
  REQUIRED_FILES,
  type BundleChunking,
  type BundleFileEntry,
  type BundleManifest,
  type BundleModel,
  type MissingDocEmbedding,
} from './format.ts';
import {
  at,
  describe,
  fail,
  readBoolean,
  readInteger,
  readJsonValue,
  readNullableString,
  readOneOf,
  readRecord,
  readString,
  type Place,
} from './fields.ts';
import { readSelection } from './selection.ts';

/** A manifest larger than this is refused before it is inflated. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** Flat, portable file names only: no folders, so extraction can never escape its directory. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function serializeManifest(manifest: BundleManifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

export function parseManifest(bytes: Uint8Array): BundleManifest {
  const place: Place = { file: MANIFEST_FILE, field: 'manifest' };
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    fail(
      { file: MANIFEST_FILE, field: '' },
      `is not valid UTF-8 JSON: ${(error as Error).message}`,
    );
  }
  const root = readRecord(raw, place);
  const field = (name: string): Place => ({ file: MANIFEST_FILE, field: name });

  // Format and version first: a newer version may have changed every other field.
  if (root.format !== BUNDLE_FORMAT) {
    fail(
      field('format'),
      `must be "${BUNDLE_FORMAT}" (got ${describe(root.format)}): not a Lumina bundle`,
    );
  }
  const version = readInteger(root.formatVersion, field('formatVersion'), 1);
  if (version !== BUNDLE_FORMAT_VERSION) {
    fail(
      field('formatVersion'),
      `${version} is not supported: this Lumina reads bundle format version ${BUNDLE_FORMAT_VERSION}` +
        (version > BUNDLE_FORMAT_VERSION ? '; update Lumina to open it' : ''),
    );
  }

  const counts = readRecord(root.counts, field('counts'));
  const selection = readSelection(root.selection, field('selection'));
  return {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    appVersion: readString(root.appVersion, field('appVersion'), true),
    created: readCreated(root.created, field('created')),
    model: readModel(root.model, field('model')),
    chunking: readChunking(root.chunking, field('chunking')),
    counts: {
      documents: readInteger(counts.documents, field('counts.documents')),
      chunks: readInteger(counts.chunks, field('counts.chunks')),
    },
    missingDocEmbeddings: readMissingDocEmbeddings(
      root.missingDocEmbeddings,
      field('missingDocEmbeddings'),
    ),
    ...(selection ? { selection } : {}),
    files: readFiles(root.files, field('files')),
  };
}

export function readCreated(value: unknown, place: Place): string {
  const created = readString(value, place);
  if (!ISO_TIME.test(created) || Number.isNaN(Date.parse(created))) {
    fail(
      place,
      `must be an ISO 8601 time such as 2025-01-31T12:00:00.000Z (got ${describe(created)})`,
    );
  }
  return created;
}

export function readModel(value: unknown, place: Place): BundleModel {
  const model = readRecord(value, place);
  const revision = readNullableString(model.revision, at(place, 'revision'));
  const weightsSha256 = readNullableString(model.weightsSha256, at(place, 'weightsSha256'));
  if (weightsSha256 !== null && !SHA256_HEX.test(weightsSha256)) {
    fail(
      at(place, 'weightsSha256'),
      `must be 64 lowercase hex digits (got ${describe(weightsSha256)})`,
    );
  }
  if (revision === null && weightsSha256 === null) {
    fail(place, 'needs a revision or a weightsSha256 so the exact weights can be found again');
  }
  return {
    id: readString(model.id, at(place, 'id'), true),
    revision,
    weightsSha256,
    dims: readInteger(model.dims, at(place, 'dims'), 1),
    pooling: readOneOf(model.pooling, BUNDLE_POOLINGS, at(place, 'pooling')),
    normalize: readBoolean(model.normalize, at(place, 'normalize')),
    dtype: readOneOf(model.dtype, BUNDLE_DTYPES, at(place, 'dtype')),
    maxTokens: readInteger(model.maxTokens, at(place, 'maxTokens'), 1),
    queryPrefix: readString(model.queryPrefix, at(place, 'queryPrefix')),
    documentPrefix: readString(model.documentPrefix, at(place, 'documentPrefix')),
  };
}

export function readChunking(value: unknown, place: Place): BundleChunking {
  const chunking = readRecord(value, place);
  const settings = readJsonValue(chunking, place) as Record<string, unknown>;
  return {
    ...(settings as BundleChunking),
    mode: readString(chunking.mode, at(place, 'mode'), true),
    chunkTokens: readInteger(chunking.chunkTokens, at(place, 'chunkTokens'), 1),
    overlapTokens: readInteger(chunking.overlapTokens, at(place, 'overlapTokens')),
  };
}

export function readMissingDocEmbeddings(value: unknown, place: Place): MissingDocEmbedding[] {
  if (!Array.isArray(value)) fail(place, `must be an array (got ${describe(value)})`);
  return value.map((item: unknown, i) => {
    const entry = readRecord(item, at(place, i));
    return {
      docId: readString(entry.docId, at(at(place, i), 'docId'), true),
      source: readString(entry.source, at(at(place, i), 'source')),
      reason: readString(entry.reason, at(at(place, i), 'reason'), true),
    };
  });
}

function readFiles(value: unknown, place: Place): Record<string, BundleFileEntry> {
  const files = readRecord(value, place);
  const out: Record<string, BundleFileEntry> = {};
  for (const [name, item] of Object.entries(files)) {
    const entryPlace = { file: place.file, field: `${place.field}["${name}"]` };
    if (!FILE_NAME.test(name) || name === MANIFEST_FILE) {
      fail(
        entryPlace,
        'is not an allowed file name (flat names of letters, digits, ".", "_", "-")',
      );
    }
    const entry = readRecord(item, entryPlace);
    const sha256 = readString(entry.sha256, at(entryPlace, 'sha256'));
    if (!SHA256_HEX.test(sha256)) {
      fail(at(entryPlace, 'sha256'), `must be 64 lowercase hex digits (got ${describe(sha256)})`);
    }
    out[name] = { sha256, bytes: readInteger(entry.bytes, at(entryPlace, 'bytes')) };
  }
  for (const name of REQUIRED_FILES) {
    if (!(name in out)) fail(place, `must list ${name}`);
  }
  return out;
}
