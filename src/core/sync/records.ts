import type { JsonValue, Metadata } from '../types.ts';
import { jsonBytes, PINECONE_LIMITS, utf8Bytes } from './limits.ts';

/** Metadata values Pinecone accepts. */
export type PineconeMetadataValue = string | number | boolean | string[];
export type PineconeMetadata = Record<string, PineconeMetadataValue>;

/** Keys Lumina writes itself; user fields never overwrite them. */
export const RESERVED_KEYS = ['source', 'doc_id', 'chunk_index', 'text'] as const;
const RESERVED = new Set<string>(RESERVED_KEYS);

/** The deterministic vector id of a chunk. */
export function vectorId(docId: string, chunkIndex: number): string {
  return `${docId}#${chunkIndex}`;
}

/** Why an id cannot be sent, or null when it can. */
export function idProblem(id: string, docId: string): string | null {
  if (id.length === 0) return `document "${docId}" gives an empty vector id`;
  const bytes = utf8Bytes(id);
  if (bytes > PINECONE_LIMITS.maxIdBytes) {
    const shown = docId.length > 60 ? `${docId.slice(0, 60)}…` : docId;
    return (
      `document "${shown}" has an id too long for Pinecone: vector id is ${bytes} bytes, ` +
      `the limit is ${PINECONE_LIMITS.maxIdBytes}`
    );
  }
  return null;
}

export interface ConvertedFields {
  fields: PineconeMetadata;
  /** What was renamed, stringified or dropped, one line each. */
  notes: string[];
}

function isStringList(value: JsonValue): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/**
 * A document's user metadata in Pinecone's types: strings, finite numbers, booleans and lists
 * of strings pass; other lists and objects become JSON strings; null is dropped (Pinecone has no
 * null). A user field named like a reserved key is kept as `user_<key>`.
 */
export function convertUserFields(metadata: Metadata): ConvertedFields {
  const fields: PineconeMetadata = {};
  const notes: string[] = [];
  for (const [key, value] of Object.entries(metadata)) {
    let name = key;
    if (RESERVED.has(key)) {
      name = `user_${key}`;
      notes.push(`field "${key}" is reserved: sent as "${name}"`);
    }
    if (typeof value === 'string' || typeof value === 'boolean') fields[name] = value;
    else if (typeof value === 'number') {
      if (Number.isFinite(value)) fields[name] = value;
      else notes.push(`field "${key}" dropped: ${String(value)} is not a finite number`);
    } else if (value === null) notes.push(`field "${key}" dropped: null has no Pinecone type`);
    else if (isStringList(value)) fields[name] = value;
    else {
      fields[name] = JSON.stringify(value);
      notes.push(`field "${key}" sent as a JSON string`);
    }
  }
  return { fields, notes };
}

export interface ChunkSource {
  docId: string;
  chunkIndex: number;
  source: string;
  text: string;
  /** The document's user metadata. */
  metadata: Metadata;
}

export interface BuiltMetadata {
  metadata: PineconeMetadata;
  notes: string[];
  /** The chunk text was cut to keep the metadata under the limit. */
  truncated: boolean;
}

/** Bytes `text` takes inside a JSON string: UTF-8 plus escapes. */
function encodedTextBytes(text: string): number {
  return jsonBytes(text) - 2;
}

/**
 * The longest prefix of `text`, cut between code points, whose JSON-encoded size fits `budget`
 * bytes. Binary search: the encoded size only grows with the prefix.
 */
export function truncateToBytes(text: string, budget: number): string {
  if (encodedTextBytes(text) <= budget) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (encodedTextBytes(safePrefix(text, mid)) <= budget) low = mid;
    else high = mid - 1;
  }
  return safePrefix(text, low);
}

/** The first `length` code units, one fewer when that would split a surrogate pair. */
function safePrefix(text: string, length: number): string {
  const last = text.charCodeAt(length - 1);
  const cut = length > 0 && last >= 0xd800 && last <= 0xdbff ? length - 1 : length;
  return text.slice(0, cut);
}

/**
 * A chunk's metadata: source, doc_id, chunk_index, the chunk text cut so the whole JSON stays
 * within `limit` bytes, and the document's user fields. When the user fields alone leave no room,
 * the largest ones are dropped (with a note) until the rest fits.
 */
export function buildMetadata(
  chunk: ChunkSource,
  limit: number = PINECONE_LIMITS.maxMetadataBytes,
): BuiltMetadata {
  const converted = convertUserFields(chunk.metadata);
  const { notes } = converted;
  let fields = converted.fields;
  const base = (): PineconeMetadata => ({
    ...fields,
    source: chunk.source,
    doc_id: chunk.docId,
    chunk_index: chunk.chunkIndex,
    text: '',
  });
  let empty = base();
  const bySize = Object.keys(fields).sort(
    (a, b) => jsonBytes({ [b]: fields[b] }) - jsonBytes({ [a]: fields[a] }),
  );
  while (jsonBytes(empty) > limit && bySize.length > 0) {
    const key = bySize.shift() as string;
    fields = Object.fromEntries(Object.entries(fields).filter(([name]) => name !== key));
    notes.push(`field "${key}" dropped: the metadata would exceed ${limit} bytes`);
    empty = base();
  }
  const room = limit - jsonBytes(empty);
  if (room < 0) {
    throw new Error(
      `Document "${chunk.docId}" (${chunk.source}) leaves no room for metadata within ${limit} bytes.`,
    );
  }
  const text = truncateToBytes(chunk.text, room);
  const truncated = text.length < chunk.text.length;
  if (truncated) notes.push(`chunk text cut to ${utf8Bytes(text)} bytes`);
  return { metadata: { ...empty, text }, notes, truncated };
}
