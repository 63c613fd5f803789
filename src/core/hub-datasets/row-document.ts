import type { MessageLog } from '../ingest/messages.ts';
import { moreOf } from '../ingest/messages.ts';
import type { SourceDocument } from '../types.ts';
import { hubSource, type HubImportRequest } from './request.ts';

/** The value at a dotted path in a decoded row (`context.contexts` → row.context.contexts). */
export function valueAt(row: Record<string, unknown>, path: string): unknown {
  if (path in row) return row[path];
  let value: unknown = row;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'no value';
  if (Array.isArray(value)) return 'a list that is not all text';
  return `a ${typeof value}`;
}

/** A text cell as document text: a string as is, a list of strings joined by blank lines. */
export function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('\n\n');
  return null;
}

function idOf(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return null;
}

/**
 * Turns one row into a document, or logs why it cannot (naming row and column) and returns null.
 * `row` is the split-wide 0-based index; messages say "row N" 1-based as people count.
 */
export function rowDocument(
  values: Record<string, unknown>,
  row: number,
  request: HubImportRequest,
  log: MessageLog,
): SourceDocument | null {
  const at = `Row ${row + 1}`;
  const raw = valueAt(values, request.textColumn);
  const text = textOf(raw);
  if (text === null || text.trim() === '') {
    log.repeatable(
      'bad-text',
      'warning',
      text === null
        ? `${at}: column "${request.textColumn}" holds ${describe(raw)}, not text; row skipped`
        : `${at}: column "${request.textColumn}" is empty; row skipped`,
      { line: row + 1, field: request.textColumn },
      moreOf('rows without usable text'),
    );
    return null;
  }
  const fallbackId = `${request.config}/${request.split}/${row}`;
  let id = fallbackId;
  if (request.idColumn) {
    const rawId = valueAt(values, request.idColumn);
    const given = idOf(rawId);
    if (given === null) {
      log.repeatable(
        'bad-id',
        'warning',
        `${at}: column "${request.idColumn}" holds ${describe(rawId)}, not an id; using "${fallbackId}"`,
        { line: row + 1, field: request.idColumn },
        moreOf('rows without an id'),
      );
    } else {
      id = given;
    }
  }
  return {
    id,
    source: hubSource(request),
    text,
    metadata: { hf_dataset: request.dataset, config: request.config, split: request.split, row },
  };
}
