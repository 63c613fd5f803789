import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import type { Qrels } from './metrics.ts';

/** Lines of a text file, from a Node readline, a browser stream reader or an array. */
export type LineSource = Iterable<string> | AsyncIterable<string>;

/** Opens a file of the dataset folder by relative path (`corpus.jsonl`, `qrels/test.tsv`). */
export type OpenLines = (relative: string) => LineSource;

export interface BeirDocument {
  id: string;
  title: string;
  text: string;
}

export interface BeirDataset {
  corpus: BeirDocument[];
  /** Only the queries the split's qrels judge, in qrels order. */
  queries: Map<string, string>;
  qrels: Qrels;
}

export interface BeirLoadOptions {
  /** Which `qrels/<split>.tsv` to read. Default `test`. */
  split?: string;
  signal?: AbortSignal;
}

/** A line of a dataset file that is not what the BEIR format says it should be. */
export class BeirFormatError extends Error {
  override name = 'BeirFormatError';
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

/** How BEIR's lexical and dense baselines see a document: title, a space, then the text. */
export function beirDocumentText(document: BeirDocument): string {
  return document.title ? `${document.title} ${document.text}` : document.text;
}

const YIELD_EVERY_LINES = 2000;

async function* numberedLines(
  lines: LineSource,
  signal: AbortSignal | undefined,
): AsyncGenerator<{ line: string; number: number }> {
  let number = 0;
  for await (const line of lines) {
    number++;
    if (number % YIELD_EVERY_LINES === 0) {
      await yieldToEventLoop();
      throwIfAborted(signal);
    }
    if (line.trim() === '') continue;
    yield { line, number };
  }
}

function parseJsonObject(file: string, number: number, line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new BeirFormatError(file, number, `not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BeirFormatError(file, number, 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}

function stringField(
  file: string,
  number: number,
  record: Record<string, unknown>,
  field: string,
  required: boolean,
): string {
  const value = record[field];
  if (value === undefined || value === null) {
    if (required) throw new BeirFormatError(file, number, `missing "${field}"`);
    return '';
  }
  // Some BEIR corpora store numeric ids as JSON numbers.
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string')
    throw new BeirFormatError(file, number, `"${field}" is not a string`);
  return value;
}

/** `corpus.jsonl`: one `{"_id", "title", "text"}` object per line. */
export async function parseBeirCorpus(
  lines: LineSource,
  signal?: AbortSignal,
  file = 'corpus.jsonl',
): Promise<BeirDocument[]> {
  const documents: BeirDocument[] = [];
  const seen = new Set<string>();
  for await (const { line, number } of numberedLines(lines, signal)) {
    const record = parseJsonObject(file, number, line);
    const id = stringField(file, number, record, '_id', true);
    if (seen.has(id)) throw new BeirFormatError(file, number, `duplicate _id "${id}"`);
    seen.add(id);
    documents.push({
      id,
      title: stringField(file, number, record, 'title', false),
      text: stringField(file, number, record, 'text', true),
    });
  }
  return documents;
}

/** `queries.jsonl`: one `{"_id", "text"}` object per line. */
export async function parseBeirQueries(
  lines: LineSource,
  signal?: AbortSignal,
  file = 'queries.jsonl',
): Promise<Map<string, string>> {
  const queries = new Map<string, string>();
  for await (const { line, number } of numberedLines(lines, signal)) {
    const record = parseJsonObject(file, number, line);
    queries.set(
      stringField(file, number, record, '_id', true),
      stringField(file, number, record, 'text', true),
    );
  }
  return queries;
}

/** `qrels/<split>.tsv`: a `query-id corpus-id score` header, then one judgement per line. */
export async function parseBeirQrels(
  lines: LineSource,
  signal?: AbortSignal,
  file = 'qrels.tsv',
): Promise<Map<string, Map<string, number>>> {
  const qrels = new Map<string, Map<string, number>>();
  let first = true;
  for await (const { line, number } of numberedLines(lines, signal)) {
    const fields = line.split('\t').map((field) => field.trim());
    if (first) {
      first = false;
      if (fields[0] === 'query-id') continue;
    }
    const [queryId, docId, score] = fields;
    const relevance = Number(score);
    if (fields.length < 3 || !queryId || !docId || score === '' || !Number.isFinite(relevance)) {
      throw new BeirFormatError(file, number, 'expected "query-id<TAB>corpus-id<TAB>score"');
    }
    let judged = qrels.get(queryId);
    if (!judged) {
      judged = new Map();
      qrels.set(queryId, judged);
    }
    judged.set(docId, relevance);
  }
  return qrels;
}

/** Reads a BEIR dataset folder; only the queries the split judges are kept. */
export async function loadBeir(
  open: OpenLines,
  { split = 'test', signal }: BeirLoadOptions = {},
): Promise<BeirDataset> {
  const qrelsFile = `qrels/${split}.tsv`;
  const qrels = await parseBeirQrels(open(qrelsFile), signal, qrelsFile);
  const allQueries = await parseBeirQueries(open('queries.jsonl'), signal);
  const queries = new Map<string, string>();
  for (const queryId of qrels.keys()) {
    const text = allQueries.get(queryId);
    if (text === undefined) {
      throw new Error(`${qrelsFile} judges query "${queryId}", which queries.jsonl lacks.`);
    }
    queries.set(queryId, text);
  }
  const corpus = await parseBeirCorpus(open('corpus.jsonl'), signal);
  return { corpus, queries, qrels };
}
