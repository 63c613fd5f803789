import Papa from 'papaparse';

export interface BatchQuery {
  /** 1-based line (txt, jsonl) or row (csv) the query came from, for messages and output. */
  line: number;
  /** The query's own id when the file gives one (`id`/`qid` field), else its line. */
  id: string;
  text: string;
}

export interface BatchQueryFile {
  queries: BatchQuery[];
  /** Lines that could not be read, each naming the line and why; the rest still run. */
  problems: string[];
}

const TEXT_FIELDS = ['query', 'question', 'text'];
const ID_FIELDS = ['id', 'qid', 'query_id', '_id'];

function pick(record: Record<string, unknown>, fields: readonly string[]): string | undefined {
  for (const field of fields) {
    const value = record[field];
    if (typeof value === 'string' && value.trim()) return value.trim();
    if (typeof value === 'number') return String(value);
  }
  return undefined;
}

/**
 * Queries from an uploaded file: `.jsonl` (a `query`, `question` or `text` field, optional
 * `id`), `.csv`/`.tsv` with a header (same fields; else the first column), or plain text, one
 * query per line. Blank lines are skipped; unreadable lines are reported by number.
 */
export function parseBatchQueries(fileName: string, content: string): BatchQueryFile {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return parseJsonl(fileName, content);
  if (lower.endsWith('.csv') || lower.endsWith('.tsv')) return parseTable(fileName, content);
  const queries: BatchQuery[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    const text = raw.trim();
    if (text) queries.push({ line: i + 1, id: String(i + 1), text });
  });
  return { queries, problems: [] };
}

function parseJsonl(fileName: string, content: string): BatchQueryFile {
  const queries: BatchQuery[] = [];
  const problems: string[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (error) {
      problems.push(`${fileName} line ${line}: not valid JSON (${(error as Error).message}).`);
      return;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      problems.push(`${fileName} line ${line}: expected a JSON object.`);
      return;
    }
    const fields = record as Record<string, unknown>;
    const text = pick(fields, TEXT_FIELDS);
    if (!text) {
      problems.push(`${fileName} line ${line}: no "query", "question" or "text" field.`);
      return;
    }
    queries.push({ line, id: pick(fields, ID_FIELDS) ?? String(line), text });
  });
  return { queries, problems };
}

function parseTable(fileName: string, content: string): BatchQueryFile {
  const parsed = Papa.parse<string[]>(content.replace(/^\uFEFF/, ''), { skipEmptyLines: true });
  const rows = parsed.data;
  const problems = parsed.errors.map(
    (error) => `${fileName} row ${(error.row ?? 0) + 1}: ${error.message}.`,
  );
  const header = (rows[0] ?? []).map((cell) => cell.trim().toLowerCase());
  const textColumn = header.findIndex((name) => TEXT_FIELDS.includes(name));
  const idColumn = header.findIndex((name) => ID_FIELDS.includes(name));
  const hasHeader = textColumn >= 0;
  const queries: BatchQuery[] = [];
  rows.forEach((row, i) => {
    if (hasHeader && i === 0) return;
    const text = (row[hasHeader ? textColumn : 0] ?? '').trim();
    if (!text) return;
    const id = idColumn >= 0 ? (row[idColumn] ?? '').trim() : '';
    queries.push({ line: i + 1, id: id || String(i + 1), text });
  });
  return { queries, problems };
}

/** One result row of a batch search, ready for CSV or JSONL. */
export interface BatchResultRow {
  queryId: string;
  query: string;
  rank: number;
  score: number;
  chunkId: string;
  docId: string;
  source: string;
  text: string;
}

/** A result row with the snake_case field names of the CSV and JSONL files. */
function resultRecord(row: BatchResultRow): Record<string, string | number> {
  return {
    query_id: row.queryId,
    query: row.query,
    rank: row.rank,
    score: row.score,
    chunk_id: row.chunkId,
    doc_id: row.docId,
    source: row.source,
    text: row.text,
  };
}

export function batchResultsToCsv(rows: readonly BatchResultRow[]): string {
  return Papa.unparse(rows.map(resultRecord), { newline: '\n' });
}

export function batchResultsToJsonl(rows: readonly BatchResultRow[]): string {
  return rows
    .map((row) => JSON.stringify(resultRecord(row)))
    .join('\n')
    .concat(rows.length ? '\n' : '');
}
