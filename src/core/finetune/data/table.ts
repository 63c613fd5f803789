import Papa from 'papaparse';
import { throwIfAborted, yieldToEventLoop } from '../../abort.ts';
import { detectDialect, looksLikeHeader } from '../../ingest/csv-dialect.ts';
import { CsvRecordSplitter, type CsvRecordText } from '../../ingest/csv-record-splitter.ts';
import { LineSplitter } from '../../ingest/line-splitter.ts';
import { formatOf, type ReadOptions, type TableFormat, type TextSource } from './types.ts';

/** A JSONL object's fields, or a delimited row's cells (with the header's names when it has one). */
export interface TableRow {
  line: number;
  /** The cell under a field name (JSONL, or a CSV with a header) or a 0-based column. */
  cell(key: string | number): string | undefined;
  width: number;
}

export type TableItem = { row: TableRow } | { line: number; error: string };

export interface Table {
  format: TableFormat;
  /** Column names: the header of a delimited file, the first object's keys for JSONL. */
  header: string[] | null;
  items: AsyncGenerator<TableItem>;
}

/** Characters read before the delimiter, quoting and header are guessed. */
const SAMPLE_CHARS = 64 * 1024;
const YIELD_EVERY_ROWS = 2000;
const STS_BENCHMARK_MIN_COLUMNS = 7;

async function* chunksOf(source: TextSource): AsyncGenerator<string> {
  if (typeof source === 'string') {
    yield source;
    return;
  }
  for await (const chunk of source) yield chunk;
}

/** The first chunks up to the sample size, and whether they are all the text there is. */
async function takeSample(
  chunks: AsyncGenerator<string>,
): Promise<{ head: string[]; complete: boolean }> {
  const head: string[] = [];
  let length = 0;
  while (length < SAMPLE_CHARS) {
    const next = await chunks.next();
    if (next.done) return { head, complete: true };
    head.push(next.value);
    length += next.value.length;
  }
  return { head, complete: false };
}

async function* replay(head: string[], rest: AsyncGenerator<string>): AsyncGenerator<string> {
  yield* head;
  yield* rest;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Opens a pair file as rows, streaming: JSONL objects, or CSV/TSV rows parsed as the ingest
 * module does (dialect sniffing that reads STS-B's unquoted tab files right, quoted line breaks).
 * Unparseable rows come out as errors with their line; the rest carries on.
 */
export async function openTable(source: TextSource, options: ReadOptions): Promise<Table> {
  const format = formatOf(options);
  const chunks = chunksOf(source);
  const { head, complete } = await takeSample(chunks);
  if (head.length > 0) head[0] = stripBom(head[0] as string);
  const text = replay(head, chunks);
  if (format === 'jsonl') return jsonlTable(text, head.join(''), options.signal);
  const sample = head.join('');
  const detected = detectDialect(sample, format, complete);
  const firstLine = sample.slice(0, sample.indexOf('\n') >>> 0);
  // STS Benchmark files (headerless, tab-separated, 7+ columns) are never quoted, and a sentence
  // opening with a quote deep in the file would otherwise swallow the lines after it.
  const stsBenchmark =
    detected.delimiter === '\t' && firstLine.split('\t').length >= STS_BENCHMARK_MIN_COLUMNS;
  const quoting = options.quoting ?? (stsBenchmark ? false : detected.quoting);
  const dialect = { ...detected, quoting };
  const parse = (record: CsvRecordText): string[] => {
    const parsed = Papa.parse<string[]>(record.text, {
      delimiter: dialect.delimiter,
      newline: '\n',
      quoteChar: '"',
      escapeChar: '"',
      fastMode: !dialect.quoting,
    });
    return parsed.data.flat();
  };
  const firstRecords: CsvRecordText[] = [];
  const firstSplitter = new CsvRecordSplitter(dialect.delimiter, dialect.quoting, dialect.lineEnd);
  firstSplitter.push(sample, firstRecords);
  if (firstRecords.length === 0) firstSplitter.end(firstRecords);
  const firstCells = firstRecords[0] ? parse(firstRecords[0]) : [];
  const header = looksLikeHeader(firstCells) ? firstCells.map((cell) => cell.trim()) : null;
  return { format, header, items: delimitedItems(text, dialect, parse, header, options.signal) };
}

async function* delimitedItems(
  text: AsyncGenerator<string>,
  dialect: ReturnType<typeof detectDialect>,
  parse: (record: CsvRecordText) => string[],
  header: string[] | null,
  signal: AbortSignal | undefined,
): AsyncGenerator<TableItem> {
  const splitter = new CsvRecordSplitter(dialect.delimiter, dialect.quoting, dialect.lineEnd);
  const columns = new Map(header?.map((name, i) => [name, i]));
  let count = 0;
  let skippedHeader = header === null;
  const rows = function* (records: CsvRecordText[]): Generator<TableItem> {
    for (const record of records) {
      if (!skippedHeader) {
        skippedHeader = true;
        continue;
      }
      if (record.text.trim() === '') continue;
      const cells = parse(record);
      const cell = (key: string | number): string | undefined => {
        const index = typeof key === 'number' ? key : columns.get(key);
        return index === undefined ? undefined : cells[index];
      };
      yield { row: { line: record.line, cell, width: cells.length } };
    }
  };
  for await (const chunk of text) {
    const records: CsvRecordText[] = [];
    splitter.push(chunk, records);
    for (const item of rows(records)) {
      yield item;
      if (++count % YIELD_EVERY_ROWS === 0) {
        await yieldToEventLoop();
        throwIfAborted(signal);
      }
    }
  }
  const last: CsvRecordText[] = [];
  splitter.end(last);
  yield* rows(last);
}

function jsonlTable(
  text: AsyncGenerator<string>,
  sample: string,
  signal: AbortSignal | undefined,
): Table {
  let header: string[] | null = null;
  for (const line of sample.split('\n')) {
    try {
      const value: unknown = JSON.parse(line);
      if (isRecord(value)) header = Object.keys(value);
    } catch {
      continue;
    }
    if (header) break;
  }
  return { format: 'jsonl', header, items: jsonlItems(text, signal) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function* jsonlItems(
  text: AsyncGenerator<string>,
  signal: AbortSignal | undefined,
): AsyncGenerator<TableItem> {
  const splitter = new LineSplitter();
  let line = 0;
  const item = (content: string): TableItem | null => {
    line++;
    if (content.trim() === '') return null;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error) {
      return { line, error: `not valid JSON (${(error as Error).message})` };
    }
    if (!isRecord(value)) return { line, error: 'not a JSON object' };
    const record = value;
    const keys = Object.keys(record);
    const cell = (key: string | number): string | undefined => {
      const raw = record[typeof key === 'number' ? (keys[key] ?? '') : key];
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      return undefined;
    };
    return { row: { line, cell, width: keys.length } };
  };
  for await (const chunk of text) {
    for (const content of splitter.push(chunk)) {
      const next = item(content);
      if (next) yield next;
      if (line % YIELD_EVERY_ROWS === 0) {
        await yieldToEventLoop();
        throwIfAborted(signal);
      }
    }
  }
  for (const content of splitter.end()) {
    const next = item(content);
    if (next) yield next;
  }
}
