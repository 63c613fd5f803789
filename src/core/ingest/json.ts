import { throwIfAborted } from '../abort.ts';
import type { JsonValue } from '../types.ts';
import { readWholeText, type FormatContext } from './context.ts';
import { jsonErrorOffset } from './json-error-offset.ts';
import { FileContentError, moreOf, type Location } from './messages.ts';
import {
  idFieldCandidates,
  isJsonRecord,
  meanStringLengths,
  pickIdField,
  pickTextField,
  recordToDraft,
  reportFields,
  type JsonRecord,
  type RecordFields,
} from './record-fields.ts';

const FIELD_SAMPLE = 50;

/** 1-based line and column of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** JSON.parse with a message that names the line and column of the first syntax error. */
function parseJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const offset = jsonErrorOffset(text);
    if (offset < 0) throw new FileContentError(`invalid JSON: ${reason}`);
    const { line, column } = lineAndColumn(text, offset);
    throw new FileContentError(`invalid JSON at line ${line}, column ${column}: ${reason}`, {
      line,
    });
  }
}

/**
 * `.json`: an array of strings, an array of objects, an object of id → text, an object of
 * id → object, or an object with one array of such records (`{"data": [...]}`).
 * The file is parsed whole: JSON has no record boundaries to stream on, and a JSON file that
 * does not fit in memory should be JSONL anyway. Documents still reach the sink in batches.
 */
export async function readJson(context: FormatContext): Promise<void> {
  const { log, batcher, input, options, signal } = context;
  const text = await readWholeText(context);
  if (text.trim() === '') throw new FileContentError('the file contains only whitespace');
  const root = parseJson(text);
  const entries = recordEntries(root, options.textField);
  if (entries === null) {
    throw new FileContentError(
      'unsupported JSON shape: expected an array of strings or objects, or an object of id → text or id → object',
    );
  }
  if (entries.from) log.info(`records taken from the array in field "${entries.from}"`);
  const fields = jsonFields(entries.items, entries.keyed, context);
  let index = 0;
  for (const [key, value] of entries.items) {
    if (index % context.batchSize === 0) throwIfAborted(signal);
    const at: Location = { label: entries.keyed ? `record "${key}"` : `record [${key}]` };
    const fallbackId = entries.keyed ? key : `${input.path}#${key}`;
    index++;
    if (typeof value === 'string') {
      await batcher.add({ id: fallbackId, text: value, metadata: {} }, at);
      continue;
    }
    if (!isJsonRecord(value) || fields === null) {
      log.repeatable(
        'bad-record',
        'error',
        `${at.label} is ${describe(value)}, not a string or an object; skipped`,
        {},
        moreOf('records that are not strings or objects'),
      );
      continue;
    }
    const draft = recordToDraft(value, fields, fallbackId, at, log);
    if (draft) await batcher.add(draft, at);
  }
  await batcher.finish({ plural: 'records with empty text', level: 'warning' });
}

function describe(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

interface RecordEntries {
  /** [array index or object key, record]. */
  items: [string, JsonValue][];
  /** Whether the records are the values of an object, whose keys are then their ids. */
  keyed: boolean;
  /** The field of a wrapper object that held the records, if any. */
  from?: string;
}

function recordEntries(root: JsonValue, textField: string | undefined): RecordEntries | null {
  if (Array.isArray(root)) {
    return {
      items: root.map((value, index): [string, JsonValue] => [String(index), value]),
      keyed: false,
    };
  }
  if (!isJsonRecord(root)) return null;
  const values = Object.values(root);
  // A single record that holds the asked-for text field is one document, not a map.
  if (textField && typeof root[textField] === 'string')
    return { items: [['0', root]], keyed: false };
  if (values.length > 0 && values.every((v) => typeof v === 'string' || isJsonRecord(v))) {
    return { items: Object.entries(root), keyed: true };
  }
  const arrays = Object.entries(root).filter(([, v]) => Array.isArray(v) && v.length > 0);
  if (arrays.length === 1) {
    const [from, list] = arrays[0] as [string, JsonValue[]];
    return {
      items: list.map((value, index): [string, JsonValue] => [String(index), value]),
      keyed: false,
      from,
    };
  }
  return null;
}

/**
 * The text and id fields of the object records, from a sample of them. In an object of
 * id → object the key is the id, unless the user named an id field that the records have.
 */
function jsonFields(
  items: [string, JsonValue][],
  keyed: boolean,
  context: FormatContext,
): RecordFields | null {
  const { options, log } = context;
  const sample: JsonRecord[] = [];
  for (const [, value] of items) {
    if (isJsonRecord(value)) sample.push(value);
    if (sample.length >= FIELD_SAMPLE) break;
  }
  if (sample.length === 0) return null;
  const names = [...new Set(sample.flatMap((record) => Object.keys(record)))];
  const idFields = keyed && !options.idField ? [] : idFieldCandidates(options);
  const idField = pickIdField(names, idFields);
  const textField = options.textField ?? pickTextField(names, meanStringLengths(sample), idField);
  if (textField === null) {
    throw new FileContentError(
      'no text field found: the records have no string field; set textField to name it',
    );
  }
  reportFields(
    log,
    { textField, idField },
    'field',
    options,
    keyed && idField === null ? 'ids from the object keys' : undefined,
  );
  return { textField, idFields };
}
