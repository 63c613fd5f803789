/** Where an example came from, for messages. */
export interface RowSource {
  file: string;
  /** 1-based line the row starts on. */
  line: number;
}

/** A row left out, and why; reading carries on past it. */
export interface BadRow extends RowSource {
  reason: string;
}

export interface ReadResult<T> {
  examples: T[];
  badRows: BadRow[];
}

/** (anchor, positive[, hard negatives]) for the ranking losses; Q/A pairs are anchor = question. */
export interface RankingExample {
  anchor: string;
  positive: string;
  negatives?: string[];
  source?: RowSource;
}

/**
 * Two texts and a target: a 0/1 label (contrastive losses, binary classification) or a score
 * already normalised to [0, 1] (cosine loss, similarity evaluation).
 */
export interface PairExample {
  text1: string;
  text2: string;
  label: number;
  source?: RowSource;
}

/** Text streamed in chunks (a File's decoded stream, a Node read stream) or whole. */
export type TextSource = string | Iterable<string> | AsyncIterable<string>;

export type TableFormat = 'jsonl' | 'csv' | 'tsv';

export interface ReadOptions {
  /** Named in every bad-row message. */
  file: string;
  /** Default: from the file's extension (`.jsonl` → jsonl, `.tsv` → tsv, else csv). */
  format?: TableFormat;
  /** Whether `"` quotes CSV/TSV fields; default guessed from the file's start. */
  quoting?: boolean;
  signal?: AbortSignal;
}

export function formatOf(options: ReadOptions): TableFormat {
  if (options.format) return options.format;
  const name = options.file.toLowerCase();
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  if (name.endsWith('.tsv')) return 'tsv';
  return 'csv';
}

/** Bad-row messages as `file:line: reason`, one per line, for logs and the CLI. */
export function formatBadRows(badRows: readonly BadRow[], limit = 20): string {
  const shown = badRows.slice(0, limit).map((row) => `${row.file}:${row.line}: ${row.reason}`);
  if (badRows.length > limit) shown.push(`… and ${badRows.length - limit} more bad rows`);
  return shown.join('\n');
}
