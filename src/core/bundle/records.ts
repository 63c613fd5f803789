/**
 * The consistency rules of a bundle's records, checked before writing and after reading: vectors
 * match the rows and are finite, ids are unique, chunks point at known documents and their text
 * matches their offsets. Messages name the input field (writer) or the file and row (reader).
 */

import type { Metadata } from '../types.ts';
import {
  bundleChunkId,
  CHUNKS_FILE,
  DOCUMENTS_FILE,
  EMBEDDINGS_FILE,
  MANIFEST_FILE,
  MAX_INT32,
  type BundleChunk,
  type BundleDocument,
  type MissingDocEmbedding,
} from './format.ts';
import {
  describe,
  fail,
  readInteger,
  readJsonValue,
  readRecord,
  readString,
  type Place,
} from './fields.ts';
import { checkFinite } from './tensors.ts';

export interface BundleRecords {
  dims: number;
  chunks: readonly BundleChunk[];
  embeddings: Float32Array;
  documents: readonly BundleDocument[];
  docEmbeddings: Float32Array;
  missingDocEmbeddings: readonly MissingDocEmbedding[];
}

type ChunkField = keyof BundleChunk | 'id';
type DocumentField = keyof BundleDocument;

/** How to name a field in an error: by input path for the writer, by file and row for the reader. */
export interface RecordPlaces {
  chunk(row: number, field: ChunkField): Place;
  document(row: number, field: DocumentField): Place;
  missing(row: number, field: keyof MissingDocEmbedding): Place;
  embeddings: Place;
  docEmbeddings: Place;
}

export const INPUT_PLACES: RecordPlaces = {
  chunk: (row, field) => ({ file: undefined, field: `chunks[${row}].${field}` }),
  document: (row, field) => ({ file: undefined, field: `documents[${row}].${field}` }),
  missing: (row, field) => ({ file: undefined, field: `missingDocEmbeddings[${row}].${field}` }),
  embeddings: { file: undefined, field: 'embeddings' },
  docEmbeddings: { file: undefined, field: 'docEmbeddings' },
};

const COLUMN_NAMES: Record<string, string> = {
  docId: 'doc_id',
  charStart: 'char_start',
  charEnd: 'char_end',
  tokenCount: 'token_count',
  charCount: 'char_count',
  chunkCount: 'chunk_count',
  chunkIndex: 'id',
};
const column = (field: string): string => COLUMN_NAMES[field] ?? field;

export const BUNDLE_PLACES: RecordPlaces = {
  chunk: (row, field) => ({ file: CHUNKS_FILE, field: `row ${row} ${column(field)}` }),
  document: (row, field) => ({ file: DOCUMENTS_FILE, field: `row ${row} ${column(field)}` }),
  missing: (row, field) => ({
    file: MANIFEST_FILE,
    field: `missingDocEmbeddings[${row}].${field}`,
  }),
  embeddings: { file: EMBEDDINGS_FILE, field: 'tensor "embeddings"' },
  docEmbeddings: { file: EMBEDDINGS_FILE, field: 'tensor "doc_embeddings"' },
};

export function checkRecords(records: BundleRecords, places: RecordPlaces): void {
  const { dims, chunks, documents, missingDocEmbeddings: missing } = records;
  checkVectors(records.embeddings, chunks.length, dims, places.embeddings, 'chunks');
  checkVectors(records.docEmbeddings, documents.length, dims, places.docEmbeddings, 'documents');

  const knownDocs = new Map<string, { source: string; document?: BundleDocument }>();
  documents.forEach((document, row) => {
    const at = (field: DocumentField) => places.document(row, field);
    const docId = readString(document.docId, at('docId'), true);
    if (knownDocs.has(docId)) fail(at('docId'), `${describe(docId)} appears more than once`);
    readString(document.source, at('source'));
    readInteger(document.charCount, at('charCount'), 0, MAX_INT32);
    readInteger(document.chunkCount, at('chunkCount'), 0, MAX_INT32);
    checkMetadata(document.metadata, at('metadata'));
    if (
      document.text !== undefined &&
      readString(document.text, at('text')).length !== document.charCount
    ) {
      fail(
        at('text'),
        `has ${document.text.length} characters but char count is ${document.charCount}`,
      );
    }
    knownDocs.set(docId, { source: document.source, document });
  });
  missing.forEach((entry, row) => {
    const docId = readString(entry.docId, places.missing(row, 'docId'), true);
    if (knownDocs.has(docId)) {
      fail(
        places.missing(row, 'docId'),
        `${describe(docId)} is listed as missing but also has a document row or is listed twice`,
      );
    }
    readString(entry.reason, places.missing(row, 'reason'), true);
    knownDocs.set(docId, { source: readString(entry.source, places.missing(row, 'source')) });
  });

  const chunkIds = new Set<string>();
  const chunksPerDoc = new Map<string, number>();
  chunks.forEach((chunk, row) => {
    const at = (field: ChunkField) => places.chunk(row, field);
    const docId = readString(chunk.docId, at('docId'), true);
    const id = bundleChunkId(docId, readInteger(chunk.chunkIndex, at('chunkIndex'), 0, MAX_INT32));
    if (chunkIds.has(id)) fail(at('id'), `${describe(id)} appears more than once`);
    chunkIds.add(id);
    const start = readInteger(chunk.charStart, at('charStart'), 0, MAX_INT32);
    const end = readInteger(chunk.charEnd, at('charEnd'), start, MAX_INT32);
    readInteger(chunk.tokenCount, at('tokenCount'), 0, MAX_INT32);
    checkMetadata(chunk.metadata, at('metadata'));
    const text = readString(chunk.text, at('text'));
    if (text.length !== end - start) {
      fail(
        at('text'),
        `has ${text.length} characters but its offsets ${start}..${end} span ${end - start}`,
      );
    }
    const owner = knownDocs.get(docId);
    if (owner === undefined) {
      fail(at('docId'), `${describe(docId)} is neither in documents nor in missingDocEmbeddings`);
    }
    if (readString(chunk.source, at('source')) !== owner.source) {
      fail(
        at('source'),
        `${describe(chunk.source)} differs from its document's source ${describe(owner.source)}`,
      );
    }
    const document = owner.document;
    if (document !== undefined) {
      if (end > document.charCount) {
        fail(
          at('charEnd'),
          `${end} is past the end of its document (${document.charCount} characters)`,
        );
      }
      if (document.text !== undefined && document.text.slice(start, end) !== text) {
        fail(at('text'), `differs from its document's text at ${start}..${end}`);
      }
    }
    chunksPerDoc.set(docId, (chunksPerDoc.get(docId) ?? 0) + 1);
  });
  documents.forEach((document, row) => {
    const counted = chunksPerDoc.get(document.docId) ?? 0;
    if (counted !== document.chunkCount) {
      fail(
        places.document(row, 'chunkCount'),
        `is ${document.chunkCount} but ${counted} chunks have this doc id`,
      );
    }
  });
}

function checkVectors(
  values: Float32Array,
  rows: number,
  dims: number,
  place: Place,
  what: string,
): void {
  if (values.length !== rows * dims) {
    fail(
      place,
      `holds ${values.length} values; ${rows} ${what} × ${dims} dims needs ${rows * dims}`,
    );
  }
  checkFinite(values, dims, place);
}

function checkMetadata(metadata: Metadata, place: Place): void {
  readJsonValue(readRecord(metadata, place), place);
}
