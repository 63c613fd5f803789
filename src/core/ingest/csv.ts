import Papa from 'papaparse';
import type { Metadata } from '../types.ts';
import type { FormatContext } from './context.ts';
import { detectDialect, isNumeric, looksLikeHeader, type CsvDialect } from './csv-dialect.ts';
import { CsvRecordSplitter, type CsvRecordText } from './csv-record-splitter.ts';
import { FileContentError, moreOf } from './messages.ts';
import { DEFAULT_ID_FIELDS, pickTextField, reportFields } from './record-fields.ts';

/** Characters read before the dialect (delimiter, quoting, line end) is guessed. */
const DIALECT_SAMPLE_CHARS = 64 * 1024;
/** Rows looked at before the header and the text column are decided. */
const LAYOUT_SAMPLE_ROWS = 50;

interface Row {
  cells: string[];
  line: number;
}

const DELIMITER_NAMES: Readonly<Record<string, string>> = {
  ',': 'comma',
  '\t': 'tab',
  ';': 'semicolon',
  '|': 'pipe',
};

/**
 * `.csv` and `.tsv`, streamed: decoded text → records (CsvRecordSplitter, which knows where
 * quoted fields end, also across chunks) → papaparse on batches of whole records → documents.
 * papaparse's own streaming needs Node streams or FileReader; feeding it whole records works the
 * same in Node and in a Web Worker.
 */
export async function readDelimited(
  context: FormatContext,
  extension: 'csv' | 'tsv',
): Promise<void> {
  const { log, batcher } = context;
  let sample: string[] = [];
  let sampleLength = 0;
  let splitter: CsvRecordSplitter | null = null;
  let dialect: CsvDialect | null = null;
  let records: CsvRecordText[] = [];
  const table = new DelimitedTable(context);

  const start = (complete: boolean): CsvRecordSplitter => {
    const text = sample.join('');
    dialect = detectDialect(text, extension, complete);
    const quoting = dialect.quoting ? '' : ', quotes read as plain characters';
    log.info(
      `read as ${DELIMITER_NAMES[dialect.delimiter] ?? dialect.delimiter}-separated values${quoting}`,
    );
    const created = new CsvRecordSplitter(dialect.delimiter, dialect.quoting, dialect.lineEnd);
    created.push(text, records);
    sample = [];
    return created;
  };
  const parseBatch = async (): Promise<void> => {
    if (dialect === null || records.length === 0) return;
    const batch = records;
    records = [];
    await table.addRows(parseRecords(batch, dialect, context));
  };

  for await (const chunk of context.stream.text(log)) {
    if (splitter === null) {
      sample.push(chunk);
      sampleLength += chunk.length;
      if (sampleLength >= DIALECT_SAMPLE_CHARS) splitter = start(false);
    } else {
      splitter.push(chunk, records);
    }
    if (records.length >= context.batchSize) await parseBatch();
  }
  splitter ??= start(true);
  splitter.end(records);
  await parseBatch();
  await table.end();
  await batcher.finish({ plural: 'rows with empty text', level: 'warning' });
}

/** papaparse on a batch of whole records; one row per record, each with the line it starts on. */
function parseRecords(batch: CsvRecordText[], dialect: CsvDialect, context: FormatContext): Row[] {
  const config = {
    delimiter: dialect.delimiter,
    newline: '\n' as const,
    quoteChar: '"',
    escapeChar: '"',
    fastMode: !dialect.quoting,
    skipEmptyLines: false,
  };
  const joined = Papa.parse<string[]>(batch.map((r) => r.text).join('\n'), config);
  if (joined.data.length === batch.length) {
    reportQuoteErrors(joined.errors, (row) => batch[row]?.line, context);
    return joined.data.map((cells, i) => ({ cells, line: (batch[i] as CsvRecordText).line }));
  }
  // Malformed quoting made papaparse cut records elsewhere than the splitter did: parse them one
  // by one so each keeps its own line number.
  return batch.map((record) => {
    const single = Papa.parse<string[]>(record.text, config);
    reportQuoteErrors(single.errors, () => record.line, context);
    return { cells: single.data.flat(), line: record.line };
  });
}

function reportQuoteErrors(
  errors: Papa.ParseError[],
  lineOf: (row: number) => number | undefined,
  context: FormatContext,
): void {
  for (const error of errors) {
    if (error.type !== 'Quotes') continue;
    const line = lineOf(error.row ?? 0);
    context.log.repeatable(
      'bad-quotes',
      'warning',
      `line ${line ?? '?'}: ${error.message.toLowerCase()}`,
      { line },
      moreOf('rows with malformed quotes'),
    );
  }
}

/** Turns parsed rows into documents once the header and the text and id columns are known. */
class DelimitedTable {
  private pending: Row[] | null = [];
  private names: string[] = [];
  private width = 0;
  private textIndex = 0;
  private idIndex: number | null = null;

  constructor(private readonly context: FormatContext) {}

  async addRows(rows: Row[]): Promise<void> {
    if (this.pending !== null) {
      for (const row of rows) if (!isBlank(row)) this.pending.push(row);
      if (this.pending.length < LAYOUT_SAMPLE_ROWS) return;
      rows = this.decideLayout(this.pending);
      this.pending = null;
    }
    for (const row of rows) await this.addRow(row);
  }

  async end(): Promise<void> {
    if (this.pending === null) return;
    const rows = this.pending.length > 0 ? this.decideLayout(this.pending) : [];
    this.pending = null;
    for (const row of rows) await this.addRow(row);
  }

  /** Decides header, column names, text and id columns from the first rows; returns the data rows. */
  private decideLayout(sample: Row[]): Row[] {
    const { options, log } = this.context;
    const first = sample[0] as Row;
    const header =
      options.csvHeader === 'yes' || (options.csvHeader !== 'no' && looksLikeHeader(first.cells));
    const data = header ? sample.slice(1) : sample;
    if (data.length === 0) throw new FileContentError('the file has a header row but no data rows');
    this.width = header ? first.cells.length : modeOf(data.map((r) => r.cells.length));
    this.names = header ? uniqueNames(first.cells) : positionalNames(this.width);
    log.info(
      header
        ? `first row read as column names (${this.names.join(', ')}); set csvHeader to 'no' if it is data`
        : `no header row: columns are named column1…column${this.width}; set csvHeader to 'yes' if the first row names them`,
    );
    this.idIndex = this.resolveIdColumn();
    this.textIndex = this.resolveTextColumn(data);
    reportFields(
      log,
      {
        textField: this.names[this.textIndex] as string,
        idField: this.idIndex === null ? null : (this.names[this.idIndex] as string),
      },
      'column',
      options,
    );
    return data;
  }

  private resolveIdColumn(): number | null {
    const asked = this.context.options.idField;
    if (asked) {
      const index = this.columnIndex(asked);
      if (index === null)
        this.context.log.warning(`no id column "${asked}"; ids are the file path and line`);
      return index;
    }
    for (const name of DEFAULT_ID_FIELDS) {
      const index = this.names.indexOf(name);
      if (index >= 0) return index;
    }
    return null;
  }

  private resolveTextColumn(data: Row[]): number {
    const asked = this.context.options.textField;
    if (asked) {
      const index = this.columnIndex(asked);
      if (index === null) {
        throw new FileContentError(
          `no column "${asked}"; the columns are ${this.names.join(', ')}`,
          {
            field: asked,
          },
        );
      }
      return index;
    }
    const meanLength = (name: string): number | null => {
      const index = this.names.indexOf(name);
      const values = data.map((r) => r.cells[index] ?? '').filter((v) => v.trim() !== '');
      if (values.length === 0 || values.filter(isNumeric).length > values.length / 2) return null;
      return values.reduce((sum, v) => sum + v.length, 0) / values.length;
    };
    const idName = this.idIndex === null ? null : (this.names[this.idIndex] ?? null);
    const name = pickTextField(this.names, meanLength, idName);
    if (name === null) {
      throw new FileContentError(
        'no text column found (every column is numeric or empty); set textField to name it',
      );
    }
    return this.names.indexOf(name);
  }

  /** A column by name (exact, then any case), by `columnN` or by a bare 1-based number. */
  private columnIndex(wanted: string): number | null {
    const exact = this.names.indexOf(wanted);
    if (exact >= 0) return exact;
    const loose = this.names.findIndex((n) => n.toLowerCase() === wanted.toLowerCase());
    if (loose >= 0) return loose;
    const position = /^(?:column)?(\d+)$/i.exec(wanted.trim());
    const index = position ? Number(position[1]) - 1 : -1;
    return index >= 0 && index < this.width ? index : null;
  }

  private async addRow(row: Row): Promise<void> {
    if (isBlank(row)) return;
    const { input, log, batcher } = this.context;
    const at = { line: row.line, label: `line ${row.line}` };
    if (row.cells.length !== this.width) {
      log.repeatable(
        'column-count',
        'warning',
        `line ${row.line} has ${row.cells.length} columns, expected ${this.width}`,
        { line: row.line },
        moreOf('rows with a different number of columns'),
      );
    }
    const text = row.cells[this.textIndex] ?? '';
    const ownId = this.idIndex === null ? '' : (row.cells[this.idIndex] ?? '').trim();
    const metadata: Metadata = {};
    row.cells.forEach((cell, index) => {
      if (index === this.textIndex || index === this.idIndex) return;
      metadata[this.names[index] ?? `column${index + 1}`] = cell;
    });
    await batcher.add({ id: ownId || `${input.path}#${row.line}`, text, metadata }, at);
  }
}

function isBlank(row: Row): boolean {
  return (
    row.cells.length === 0 || (row.cells.length === 1 && (row.cells[0] as string).trim() === '')
  );
}

function modeOf(values: number[]): number {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best = 0;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount) [best, bestCount] = [value, count];
  }
  return best;
}

function positionalNames(width: number): string[] {
  return Array.from({ length: width }, (_, i) => `column${i + 1}`);
}

/** Header cells as unique names: blanks become `columnN`, repeats get `_2`, `_3`, … */
function uniqueNames(cells: string[]): string[] {
  const used = new Set<string>();
  return cells.map((cell, i) => {
    const base = cell.trim() || `column${i + 1}`;
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}
