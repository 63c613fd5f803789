import type { JsonValue, Metadata } from '../types.ts';
import type { DraftDocument } from './document-batcher.ts';
import { moreOf, type Location, type MessageLog } from './messages.ts';
import type { IngestOptions } from './types.ts';

/** Field names that usually hold the text, best first (matched case-insensitively). */
export const TEXT_FIELD_NAMES: readonly string[] = [
  'text',
  'content',
  'body',
  'abstract',
  'sentence',
  'passage',
  'question',
  'query',
  'document',
  'review',
  'comment',
  'message',
  'description',
  'summary',
  'sentence1',
  'title',
  'prompt',
  'input',
];

export const DEFAULT_ID_FIELDS: readonly string[] = ['id', '_id'];

/** A nested `metadata` object (as in BEIR corpora) is merged into the document's metadata. */
const NESTED_METADATA_FIELD = 'metadata';

/** A long text column is at least this share of the longest one; the first such column wins. */
const LONG_TEXT_SHARE = 0.8;

export type JsonRecord = { [key: string]: JsonValue };

/** The text and id fields named in the info message. */
export interface ChosenFields {
  textField: string;
  idField: string | null;
}

/** How JSON records become documents: the text field, and id fields tried in order per record. */
export interface RecordFields {
  textField: string;
  idFields: readonly string[];
}

export function isJsonRecord(value: JsonValue | undefined): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findName(names: readonly string[], wanted: string): string | undefined {
  return (
    names.find((n) => n === wanted) ?? names.find((n) => n.toLowerCase() === wanted.toLowerCase())
  );
}

/** The id fields to try: the one asked for, else `id` then `_id`. */
export function idFieldCandidates(options: IngestOptions): readonly string[] {
  return options.idField ? [options.idField] : DEFAULT_ID_FIELDS;
}

/** The first id field that the sample's field names contain. */
export function pickIdField(
  names: readonly string[],
  candidates: readonly string[],
): string | null {
  for (const candidate of candidates) {
    const found = findName(names, candidate);
    if (found !== undefined) return found;
  }
  return null;
}

/**
 * The text field of a set of records: a well-known name first, else the first field whose
 * values (strings, not numbers) are about as long as the longest such field. `lengths` gives
 * the mean text length per field over a sample of records, or null for non-text fields.
 */
export function pickTextField(
  names: readonly string[],
  meanLength: (name: string) => number | null,
  exclude: string | null,
): string | null {
  for (const wanted of TEXT_FIELD_NAMES) {
    const found = findName(names, wanted);
    if (found !== undefined && found !== exclude && meanLength(found) !== null) return found;
  }
  const lengths = names
    .filter((n) => n !== exclude)
    .map((name) => ({ name, length: meanLength(name) }))
    .filter((f): f is { name: string; length: number } => f.length !== null);
  const longest = Math.max(0, ...lengths.map((f) => f.length));
  return lengths.find((f) => f.length >= longest * LONG_TEXT_SHARE)?.name ?? null;
}

/** Names the chosen text and id fields in an info message, so the user can see and override. */
export function reportFields(
  log: MessageLog,
  fields: ChosenFields,
  what: 'field' | 'column',
  options: IngestOptions,
  idsFrom?: string,
): void {
  const how = options.textField ? 'as asked' : 'auto-detected; set textField to choose another';
  const ids =
    idsFrom ??
    (fields.idField
      ? `ids from ${what} "${fields.idField}"`
      : `no id ${what}, so ids are the file path and position`);
  log.info(`text from ${what} "${fields.textField}" (${how}); ${ids}`, {
    field: fields.textField,
  });
}

/** Mean string length of each field over sample records; null for fields that are not strings. */
export function meanStringLengths(records: readonly JsonRecord[]): (name: string) => number | null {
  return (name) => {
    let total = 0;
    let count = 0;
    for (const record of records) {
      const value = record[name];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') return null;
      total += value.length;
      count++;
    }
    return count > 0 ? total / count : null;
  };
}

export function idFromValue(value: JsonValue | undefined): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * A JSON record as a draft document: the text field is the text, the id field the id (else
 * `fallbackId`), every other field goes to metadata. Returns null, with a message, when the
 * record has no usable text.
 */
export function recordToDraft(
  record: JsonRecord,
  fields: RecordFields,
  fallbackId: string,
  at: Location,
  log: MessageLog,
): DraftDocument | null {
  const text = record[fields.textField];
  if (typeof text !== 'string') {
    const problem =
      text === undefined || text === null
        ? `has no text field "${fields.textField}"`
        : `has a ${Array.isArray(text) ? 'list' : typeof text} instead of a string in field "${fields.textField}"`;
    log.repeatable(
      'missing-text',
      'warning',
      `${at.label} ${problem}; skipped`,
      { line: at.line, field: fields.textField },
      moreOf(`records without a usable "${fields.textField}" text`),
    );
    return null;
  }
  const idField = fields.idFields.find(
    (name) => record[name] !== undefined && record[name] !== null,
  );
  const metadata: Metadata = {};
  const nested = record[NESTED_METADATA_FIELD];
  if (isJsonRecord(nested)) Object.assign(metadata, nested);
  for (const [key, value] of Object.entries(record)) {
    if (key === fields.textField || key === idField) continue;
    if (key === NESTED_METADATA_FIELD && isJsonRecord(value)) continue;
    metadata[key] = value;
  }
  if (idField === undefined) return { id: fallbackId, text, metadata };
  const id = idFromValue(record[idField]);
  if (id === null) {
    log.repeatable(
      'bad-id',
      'warning',
      `${at.label}: id field "${idField}" is not a non-empty string or a number; used "${fallbackId}"`,
      { line: at.line, field: idField },
      moreOf('unusable ids'),
    );
    metadata[idField] = record[idField] as JsonValue;
  }
  return { id: id ?? fallbackId, text, metadata };
}
