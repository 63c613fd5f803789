/** chunks.parquet and documents.parquet: exact columns, written and read back with checks. */

import { parquetMetadata, parquetReadObjects, type SchemaElement } from 'hyparquet';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import {
  bundleChunkId,
  CHUNKS_FILE,
  DOCUMENTS_FILE,
  MAX_INT32,
  type BundleChunk,
  type BundleDocument,
} from './format.ts';
import {
  describe,
  fail,
  parseMetadataJson,
  readInteger,
  readString,
  type Place,
} from './fields.ts';

export type ColumnType = 'STRING' | 'INT32';
export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

export const CHUNK_COLUMNS: readonly ColumnSpec[] = [
  { name: 'id', type: 'STRING' },
  { name: 'doc_id', type: 'STRING' },
  { name: 'source', type: 'STRING' },
  { name: 'text', type: 'STRING' },
  { name: 'char_start', type: 'INT32' },
  { name: 'char_end', type: 'INT32' },
  { name: 'token_count', type: 'INT32' },
  { name: 'metadata', type: 'STRING' },
];

/** documents.parquet columns; `text` follows them only when the exporter included full texts. */
export const DOCUMENT_COLUMNS: readonly ColumnSpec[] = [
  { name: 'doc_id', type: 'STRING' },
  { name: 'source', type: 'STRING' },
  { name: 'char_count', type: 'INT32' },
  { name: 'chunk_count', type: 'INT32' },
  { name: 'metadata', type: 'STRING' },
];
export const DOCUMENT_TEXT_COLUMN: ColumnSpec = { name: 'text', type: 'STRING' };

export function encodeChunksTable(chunks: readonly BundleChunk[], createdBy: string): Uint8Array {
  return writeTable(createdBy, [
    strings(
      'id',
      chunks.map((c) => bundleChunkId(c.docId, c.chunkIndex)),
    ),
    strings(
      'doc_id',
      chunks.map((c) => c.docId),
    ),
    strings(
      'source',
      chunks.map((c) => c.source),
    ),
    strings(
      'text',
      chunks.map((c) => c.text),
    ),
    int32s(
      'char_start',
      Int32Array.from(chunks, (c) => c.charStart),
    ),
    int32s(
      'char_end',
      Int32Array.from(chunks, (c) => c.charEnd),
    ),
    int32s(
      'token_count',
      Int32Array.from(chunks, (c) => c.tokenCount),
    ),
    strings(
      'metadata',
      chunks.map((c) => JSON.stringify(c.metadata)),
    ),
  ]);
}

export function encodeDocumentsTable(
  documents: readonly BundleDocument[],
  withText: boolean,
  createdBy: string,
): Uint8Array {
  const columns = [
    strings(
      'doc_id',
      documents.map((d) => d.docId),
    ),
    strings(
      'source',
      documents.map((d) => d.source),
    ),
    int32s(
      'char_count',
      Int32Array.from(documents, (d) => d.charCount),
    ),
    int32s(
      'chunk_count',
      Int32Array.from(documents, (d) => d.chunkCount),
    ),
    strings(
      'metadata',
      documents.map((d) => JSON.stringify(d.metadata)),
    ),
  ];
  if (withText)
    columns.push(
      strings(
        'text',
        documents.map((d) => d.text ?? ''),
      ),
    );
  return writeTable(createdBy, columns);
}

export async function readChunksTable(bytes: Uint8Array, rows: number): Promise<BundleChunk[]> {
  const records = await readTable(CHUNKS_FILE, bytes, CHUNK_COLUMNS, rows, 'counts.chunks');
  return records.map((row, i) => {
    const cell = (column: string): Place => ({ file: CHUNKS_FILE, field: `row ${i} ${column}` });
    const docId = readString(row.doc_id, cell('doc_id'), true);
    const id = readString(row.id, cell('id'), true);
    return {
      docId,
      chunkIndex: chunkIndexFromId(id, docId, cell('id')),
      source: readString(row.source, cell('source')),
      text: readString(row.text, cell('text')),
      charStart: readInteger(row.char_start, cell('char_start'), 0, MAX_INT32),
      charEnd: readInteger(row.char_end, cell('char_end'), 0, MAX_INT32),
      tokenCount: readInteger(row.token_count, cell('token_count'), 0, MAX_INT32),
      metadata: parseMetadataJson(row.metadata, cell('metadata')),
    };
  });
}

export async function readDocumentsTable(
  bytes: Uint8Array,
  rows: number,
): Promise<BundleDocument[]> {
  const records = await readTable(
    DOCUMENTS_FILE,
    bytes,
    DOCUMENT_COLUMNS,
    rows,
    'counts.documents',
    [DOCUMENT_TEXT_COLUMN],
  );
  return records.map((row, i) => {
    const cell = (column: string): Place => ({ file: DOCUMENTS_FILE, field: `row ${i} ${column}` });
    const document: BundleDocument = {
      docId: readString(row.doc_id, cell('doc_id'), true),
      source: readString(row.source, cell('source')),
      charCount: readInteger(row.char_count, cell('char_count'), 0, MAX_INT32),
      chunkCount: readInteger(row.chunk_count, cell('chunk_count'), 0, MAX_INT32),
      metadata: parseMetadataJson(row.metadata, cell('metadata')),
    };
    if ('text' in row) document.text = readString(row.text, cell('text'));
    return document;
  });
}

function chunkIndexFromId(id: string, docId: string, place: Place): number {
  const prefix = `${docId}#`;
  const index = id.startsWith(prefix) ? id.slice(prefix.length) : '';
  if (!/^(0|[1-9]\d*)$/.test(index) || Number(index) > MAX_INT32) {
    fail(place, `${describe(id)} must be "<doc_id>#<chunk_index>" for doc_id ${describe(docId)}`);
  }
  return Number(index);
}

function strings(name: string, data: string[]): ColumnSource {
  return { name, data, type: 'STRING', nullable: false };
}

function int32s(name: string, data: Int32Array): ColumnSource {
  return { name, data, type: 'INT32', nullable: false };
}

function writeTable(createdBy: string, columnData: ColumnSource[]): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({ columnData, createdBy }));
}

async function readTable(
  file: string,
  bytes: Uint8Array,
  columns: readonly ColumnSpec[],
  rows: number,
  countField: string,
  optionalTail: readonly ColumnSpec[] = [],
): Promise<Record<string, unknown>[]> {
  const buffer = ownBuffer(bytes);
  let schema: SchemaElement[];
  let numRows: bigint;
  try {
    ({ schema, num_rows: numRows } = parquetMetadata(buffer));
  } catch (error) {
    return fail({ file, field: '' }, `is not a readable Parquet file: ${(error as Error).message}`);
  }
  checkSchema(file, schema, columns, optionalTail);
  if (numRows !== BigInt(rows)) {
    fail({ file, field: '' }, `has ${numRows} rows, manifest.json ${countField} says ${rows}`);
  }
  try {
    return (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[];
  } catch (error) {
    return fail({ file, field: '' }, `could not be decoded: ${(error as Error).message}`);
  }
}

function checkSchema(
  file: string,
  schema: SchemaElement[],
  columns: readonly ColumnSpec[],
  optionalTail: readonly ColumnSpec[],
): void {
  const leaves = schema.slice(1);
  const found = leaves.map((e) => e.name);
  const expected = columns.map((c) => c.name);
  const withTail = [...expected, ...optionalTail.map((c) => c.name)];
  const sameAs = (names: string[]) => names.join('\n') === found.join('\n');
  if (!sameAs(expected) && !(optionalTail.length > 0 && sameAs(withTail))) {
    const wanted =
      optionalTail.length > 0
        ? `${expected.join(', ')} [, ${optionalTail.map((c) => c.name).join(', ')}]`
        : expected.join(', ');
    fail(
      { file, field: 'columns' },
      `must be ${wanted} in this order (found ${found.join(', ') || 'none'})`,
    );
  }
  const specs = [...columns, ...optionalTail];
  leaves.forEach((element, i) => {
    const spec = specs[i];
    if (spec === undefined) return;
    if (!matchesType(element, spec.type)) {
      fail(
        { file, field: `column ${spec.name}` },
        `must be ${spec.type === 'STRING' ? 'a UTF-8 string (BYTE_ARRAY, UTF8)' : 'INT32'} ` +
          `(found ${element.type ?? 'a group'}${element.converted_type ? `, ${element.converted_type}` : ''})`,
      );
    }
    if (element.repetition_type === 'REPEATED') {
      fail({ file, field: `column ${spec.name}` }, 'must hold one value per row, not a list');
    }
  });
}

function matchesType(element: SchemaElement, type: ColumnType): boolean {
  if (element.num_children !== undefined) return false;
  if (type === 'INT32') {
    // Arrow-based writers (pyarrow) annotate plain int32 columns as INT_32; both mean the same.
    return (
      element.type === 'INT32' &&
      (element.converted_type === undefined || element.converted_type === 'INT_32')
    );
  }
  return (
    element.type === 'BYTE_ARRAY' &&
    (element.converted_type === 'UTF8' || element.logical_type?.type === 'STRING')
  );
}

/** hyparquet reads an ArrayBuffer; hand it one that holds exactly the file. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  return new Uint8Array(bytes).buffer;
}
