import Papa from 'papaparse';

export interface CsvDialect {
  delimiter: string;
  /** Whether `"` quotes fields. Off for tab-separated text whose quotes are just characters. */
  quoting: boolean;
  lineEnd: '\n' | '\r';
}

const DELIMITERS = [',', '\t', ';', '|'];
const PREVIEW_ROWS = 30;
/** Share of sample rows that must have the same number of fields for a delimiter to count. */
const CONSISTENT_SHARE = 0.5;

/** The sample cut at its last line end, so a half line does not skew the guesses. */
function wholeLines(sample: string, complete: boolean): string {
  if (complete) return sample;
  const end = Math.max(sample.lastIndexOf('\n'), sample.lastIndexOf('\r'));
  return end > 0 ? sample.slice(0, end) : sample;
}

/** How regularly `delimiter` splits the sample: share of rows with the usual field count. */
function delimiterFit(
  lines: string,
  delimiter: string,
  newline: Newline,
): { share: number; fields: number } {
  const rows = Papa.parse<string[]>(lines, {
    delimiter,
    newline,
    preview: PREVIEW_ROWS,
    skipEmptyLines: true,
  }).data;
  const counts = new Map<number, number>();
  for (const row of rows) counts.set(row.length, (counts.get(row.length) ?? 0) + 1);
  let fields = 1;
  let rowsWithIt = 0;
  for (const [count, n] of counts) {
    if (n > rowsWithIt || (n === rowsWithIt && count > fields)) [fields, rowsWithIt] = [count, n];
  }
  return { share: rows.length > 0 ? rowsWithIt / rows.length : 0, fields };
}

/**
 * The delimiter that most regularly splits the sample into the same number (≥ 2) of fields,
 * then the one giving more fields. A sample no delimiter splits regularly is one column: then
 * a delimiter it does not contain keeps its lines whole.
 */
function guessDelimiter(lines: string, newline: Newline): string {
  let best: { delimiter: string; share: number; fields: number } | null = null;
  for (const delimiter of DELIMITERS) {
    const fit = delimiterFit(lines, delimiter, newline);
    if (fit.fields < 2 || fit.share < CONSISTENT_SHARE) continue;
    const better =
      best === null ||
      fit.share > best.share ||
      (fit.share === best.share && fit.fields > best.fields);
    if (better) best = { delimiter, ...fit };
  }
  return best?.delimiter ?? DELIMITERS.find((d) => !lines.includes(d)) ?? ',';
}

type Newline = '\n' | '\r';

/**
 * Guesses how a delimited file is written from its first part. The extension only sets the
 * default delimiter: a `.csv` that is really tab-separated (as STS-B's files are) is read with
 * tabs. Tab-separated text often has no quoting at all and sentences that start with `"`, so
 * quoting is used there only when the sample shows well-formed quoted fields.
 */
export function detectDialect(
  sample: string,
  extension: 'csv' | 'tsv',
  complete: boolean,
): CsvDialect {
  const lines = wholeLines(sample, complete);
  // Splitting at LF alone also reads CRLF files (a CR left at a row's end does not change its
  // field count), and a CRLF inside a quoted field cannot mislead it.
  const lineEnd = lines.includes('\n') || !lines.includes('\r') ? '\n' : '\r';
  const newline: Newline = lineEnd;
  const delimiter = extension === 'tsv' ? '\t' : guessDelimiter(lines, newline);
  return { delimiter, quoting: delimiter !== '\t' || tabQuoting(lines, newline), lineEnd };
}

function tabQuoting(lines: string, newline: Newline): boolean {
  if (!/(^|\t|\n|\r)"/.test(lines)) return false;
  const parsed = Papa.parse<string[]>(lines, {
    delimiter: '\t',
    newline,
    preview: PREVIEW_ROWS * 4,
  });
  return !parsed.errors.some((e) => e.type === 'Quotes');
}

const NUMBER = /^[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?%?$/;
/** A column name: starts with a letter or `_`, no sentence punctuation at the end. */
const NAME_LIKE = /^[\p{L}_][\p{L}\p{N}_ .\-#/()]*$/u;
const MAX_NAME_LENGTH = 48;
const MAX_NAME_WORDS = 4;

export function isNumeric(cell: string): boolean {
  return NUMBER.test(cell.trim());
}

function isNameLike(cell: string): boolean {
  return (
    cell.length <= MAX_NAME_LENGTH &&
    NAME_LIKE.test(cell) &&
    !cell.endsWith('.') &&
    cell.split(/\s+/).length <= MAX_NAME_WORDS
  );
}

/**
 * Whether the first row names the columns: unique, non-empty cells that read like names
 * (short, not numbers, not sentences). Data rows made of such short words are ambiguous; they
 * are read as a header, the more common case, and the info message lets the user say otherwise.
 */
export function looksLikeHeader(first: readonly string[]): boolean {
  const cells = first.map((cell) => cell.trim());
  if (cells.length === 0 || cells.some((cell) => cell === '' || isNumeric(cell))) return false;
  return new Set(cells).size === cells.length && cells.every(isNameLike);
}
