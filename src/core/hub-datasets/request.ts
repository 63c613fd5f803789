import { HubDatasetError } from './access.ts';
import type { HubColumn } from './schema.ts';

/** What to import: one split of one config, which columns hold the text and the id, how many rows. */
export interface HubImportRequest {
  dataset: string;
  config: string;
  split: string;
  /** Column (dotted path for nested fields) holding the text; a list of strings is joined. */
  textColumn: string;
  /** Column holding the id; without one, ids are `<config>/<split>/<row>`. */
  idColumn?: string | null;
  /** Rows to read from the start of the split. */
  limit: number;
}

/** Where the documents of a split say they come from, and the key of its import record. */
export function hubSource(request: Pick<HubImportRequest, 'dataset' | 'config' | 'split'>): string {
  return `hf://datasets/${request.dataset}/${request.config}/${request.split}`;
}

export function checkLimit(limit: number): number {
  if (!(limit >= 1) || (Number.isFinite(limit) && !Number.isInteger(limit))) {
    throw new HubDatasetError(
      'invalid-id',
      `The row limit must be a whole number of at least 1 (got ${limit}).`,
    );
  }
  return limit;
}

/** Checks the chosen columns against the split's, naming the ones there are when one is missing. */
export function checkColumns(request: HubImportRequest, columns: HubColumn[], what: string): void {
  const available = () => columns.map((c) => `${c.path} (${c.kind})`).join(', ');
  const text = columns.find((c) => c.path === request.textColumn);
  if (!text) {
    throw new HubDatasetError(
      'column',
      `${what} has no column "${request.textColumn}". Available columns: ${available()}.`,
    );
  }
  if (text.kind !== 'text' && text.kind !== 'text-list') {
    throw new HubDatasetError(
      'column',
      `Column "${request.textColumn}" of ${what} holds ${text.kind} values, not text. Text columns: ${
        columns
          .filter((c) => c.kind === 'text' || c.kind === 'text-list')
          .map((c) => c.path)
          .join(', ') || 'none'
      }.`,
    );
  }
  if (request.idColumn && !columns.some((c) => c.path === request.idColumn)) {
    throw new HubDatasetError(
      'column',
      `${what} has no column "${request.idColumn}" for ids. Available columns: ${available()}.`,
    );
  }
}

/** The top-level columns to download for the chosen paths. */
export function topColumns(request: HubImportRequest): string[] {
  const paths = [request.textColumn, ...(request.idColumn ? [request.idColumn] : [])];
  return [...new Set(paths.map((p) => p.split('.')[0] ?? p))];
}
