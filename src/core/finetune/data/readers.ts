import { openTable, type TableRow } from './table.ts';
import type {
  BadRow,
  PairExample,
  RankingExample,
  ReadOptions,
  ReadResult,
  TextSource,
} from './types.ts';

/** A column by name (files with a header, JSONL) or by 0-based position (headerless files). */
export type ColumnKey = string | number;

/** Picks the column: the option given, else the first default name the header has. */
function resolveColumn(
  given: ColumnKey | undefined,
  header: readonly string[] | null,
  names: readonly string[],
  position: number | undefined,
): ColumnKey | undefined {
  if (given !== undefined) return given;
  if (header) return names.find((name) => header.includes(name));
  return position;
}

function missingColumnError(file: string, role: string, names: readonly string[]): Error {
  return new Error(
    `${file}: no ${role} column (looked for ${names.map((n) => `"${n}"`).join(', ')}); name it in the options`,
  );
}

interface Collector<T> {
  examples: T[];
  badRows: BadRow[];
  bad(line: number, reason: string): void;
}

function collector<T>(file: string): Collector<T> {
  const badRows: BadRow[] = [];
  return { examples: [], badRows, bad: (line, reason) => badRows.push({ file, line, reason }) };
}

/** The trimmed text of a required cell, or why the row is unusable. */
function text(row: TableRow, key: ColumnKey, role: string): string | { error: string } {
  const value = row.cell(key);
  if (value === undefined) return { error: `no ${role} (${JSON.stringify(key)})` };
  const trimmed = value.trim();
  return trimmed === '' ? { error: `empty ${role}` } : trimmed;
}

function isError(value: unknown): value is { error: string } {
  return typeof value === 'object' && value !== null && 'error' in value;
}

export interface QaPairOptions extends ReadOptions {
  questionField?: string;
  answerField?: string;
}

/** Question/answer pairs from JSONL (`question`/`answer` unless named): anchor and positive. */
export async function readQaPairs(
  source: TextSource,
  options: QaPairOptions,
): Promise<ReadResult<RankingExample>> {
  const { questionField = 'question', answerField = 'answer' } = options;
  const table = await openTable(source, { ...options, format: options.format ?? 'jsonl' });
  const out = collector<RankingExample>(options.file);
  for await (const item of table.items) {
    if ('error' in item) {
      out.bad(item.line, item.error);
      continue;
    }
    const anchor = text(item.row, questionField, `"${questionField}"`);
    const positive = text(item.row, answerField, `"${answerField}"`);
    if (isError(anchor)) out.bad(item.row.line, anchor.error);
    else if (isError(positive)) out.bad(item.row.line, positive.error);
    else
      out.examples.push({ anchor, positive, source: { file: options.file, line: item.row.line } });
  }
  return { examples: out.examples, badRows: out.badRows };
}

export interface TripletOptions extends ReadOptions {
  anchor?: ColumnKey;
  positive?: ColumnKey;
  /** Leave out for pairs; a file with this column needs it on every row. */
  negative?: ColumnKey;
}

const ANCHOR_NAMES = ['anchor', 'query', 'question', 'sentence1', 'text1'];
const POSITIVE_NAMES = ['positive', 'answer', 'pos', 'sentence2', 'text2'];
const NEGATIVE_NAMES = ['negative', 'neg', 'hard_negative'];

/**
 * (anchor, positive[, negative]) rows from JSONL, CSV or TSV. With a header (or JSONL) columns
 * go by name; without one the first two or three columns are anchor, positive, negative.
 */
export async function readTriplets(
  source: TextSource,
  options: TripletOptions,
): Promise<ReadResult<RankingExample>> {
  const table = await openTable(source, options);
  const out = collector<RankingExample>(options.file);
  const anchorKey = resolveColumn(options.anchor, table.header, ANCHOR_NAMES, 0);
  const positiveKey = resolveColumn(options.positive, table.header, POSITIVE_NAMES, 1);
  if (anchorKey === undefined) throw missingColumnError(options.file, 'anchor', ANCHOR_NAMES);
  if (positiveKey === undefined) throw missingColumnError(options.file, 'positive', POSITIVE_NAMES);
  let negativeKey = resolveColumn(options.negative, table.header, NEGATIVE_NAMES, undefined);
  let decided = negativeKey !== undefined || table.header !== null;
  for await (const item of table.items) {
    if ('error' in item) {
      out.bad(item.line, item.error);
      continue;
    }
    const { row } = item;
    if (!decided) {
      // Headerless: the first row's width says whether there is a negative column.
      decided = true;
      if (row.width >= 3) negativeKey = 2;
    }
    const anchor = text(row, anchorKey, 'anchor');
    const positive = text(row, positiveKey, 'positive');
    const negative = negativeKey === undefined ? undefined : text(row, negativeKey, 'negative');
    const error = [anchor, positive, negative].find(isError);
    if (error) {
      out.bad(row.line, error.error);
      continue;
    }
    out.examples.push({
      anchor: anchor as string,
      positive: positive as string,
      ...(negative === undefined ? {} : { negatives: [negative as string] }),
      source: { file: options.file, line: row.line },
    });
  }
  return { examples: out.examples, badRows: out.badRows };
}

export interface PairColumnOptions extends ReadOptions {
  text1?: ColumnKey;
  text2?: ColumnKey;
  /** The score or label column. */
  target?: ColumnKey;
}

export interface ScoredPairOptions extends PairColumnOptions {
  /**
   * The gold scores' range, mapped linearly onto [0, 1]. Default [0, 5] for STS Benchmark files,
   * else [0, 1]. A score outside it is a bad row.
   */
  scoreRange?: readonly [number, number];
}

const TEXT1_NAMES = ['text1', 'sentence1', 'sentence_1', 's1', 'anchor', 'question', 'query'];
const TEXT2_NAMES = ['text2', 'sentence2', 'sentence_2', 's2', 'positive', 'answer'];
const SCORE_NAMES = ['score', 'similarity', 'label', 'gold'];
const LABEL_NAMES = ['label', 'is_duplicate', 'score'];
/** STS Benchmark files: genre, file, year, id, score, sentence1, sentence2[, sources…]. */
const STS_BENCHMARK = { text1: 5, text2: 6, target: 4, minWidth: 7 } as const;

interface PairColumns {
  text1: ColumnKey;
  text2: ColumnKey;
  target: ColumnKey;
  stsBenchmark: boolean;
}

async function readPairs(
  source: TextSource,
  options: PairColumnOptions,
  targetNames: readonly string[],
  target: (raw: string, columns: PairColumns) => number | { error: string },
): Promise<ReadResult<PairExample>> {
  const table = await openTable(source, options);
  const out = collector<PairExample>(options.file);
  let columns: PairColumns | null = null;
  const decide = (row: TableRow): PairColumns => {
    const stsBenchmark =
      table.header === null &&
      table.format !== 'jsonl' &&
      options.text1 === undefined &&
      row.width >= STS_BENCHMARK.minWidth;
    const at = stsBenchmark ? STS_BENCHMARK : { text1: 0, text2: 1, target: 2 };
    const header = table.format === 'jsonl' ? (table.header ?? []) : table.header;
    const text1 = resolveColumn(options.text1, header, TEXT1_NAMES, at.text1);
    const text2 = resolveColumn(options.text2, header, TEXT2_NAMES, at.text2);
    const targetKey = resolveColumn(options.target, header, targetNames, at.target);
    if (text1 === undefined) throw missingColumnError(options.file, 'first text', TEXT1_NAMES);
    if (text2 === undefined) throw missingColumnError(options.file, 'second text', TEXT2_NAMES);
    if (targetKey === undefined) throw missingColumnError(options.file, 'score', targetNames);
    return { text1, text2, target: targetKey, stsBenchmark };
  };
  for await (const item of table.items) {
    if ('error' in item) {
      out.bad(item.line, item.error);
      continue;
    }
    const { row } = item;
    columns ??= decide(row);
    const text1 = text(row, columns.text1, 'first text');
    const text2 = text(row, columns.text2, 'second text');
    const raw = row.cell(columns.target);
    const value =
      raw === undefined || raw.trim() === '' ? { error: 'no score' } : target(raw.trim(), columns);
    const error = [text1, text2, value].find(isError);
    if (error) {
      out.bad(row.line, error.error);
      continue;
    }
    out.examples.push({
      text1: text1 as string,
      text2: text2 as string,
      label: value as number,
      source: { file: options.file, line: row.line },
    });
  }
  return { examples: out.examples, badRows: out.badRows };
}

/**
 * (text1, text2, score) rows from CSV/TSV/JSONL, scores mapped onto [0, 1] for
 * CosineSimilarityLoss and the similarity evaluator. Headerless rows of seven or more columns are
 * read as the STS Benchmark layout (score in column 5, sentences in 6 and 7, scores 0–5).
 */
export async function readScoredPairs(
  source: TextSource,
  options: ScoredPairOptions,
): Promise<ReadResult<PairExample>> {
  return readPairs(source, options, SCORE_NAMES, (raw, columns) => {
    const score = Number(raw);
    if (!Number.isFinite(score)) return { error: `score "${raw}" is not a number` };
    const [low, high] = options.scoreRange ?? (columns.stsBenchmark ? [0, 5] : [0, 1]);
    if (!(high > low)) throw new RangeError(`scoreRange [${low}, ${high}] is empty`);
    if (score < low || score > high) {
      return { error: `score ${raw} is outside [${low}, ${high}]` };
    }
    return (score - low) / (high - low);
  });
}

/** (text1, text2, label) rows with labels 0 or 1 (also `true`/`false`). */
export async function readLabelledPairs(
  source: TextSource,
  options: PairColumnOptions,
): Promise<ReadResult<PairExample>> {
  return readPairs(source, options, LABEL_NAMES, (raw) => {
    const normal = raw.toLowerCase();
    if (normal === '1' || normal === '1.0' || normal === 'true') return 1;
    if (normal === '0' || normal === '0.0' || normal === 'false') return 0;
    return { error: `label "${raw}" is not 0 or 1` };
  });
}
