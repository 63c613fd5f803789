import Papa from 'papaparse';

/** One sentence pair with its gold similarity. */
export interface StsPair {
  sentence1: string;
  sentence2: string;
  score: number;
}

export interface StsParseResult {
  pairs: StsPair[];
  /** Lines left out, numbered from 1, with why. */
  badLines: { line: number; reason: string }[];
}

/**
 * Reads STS pairs. The STS Benchmark files are tab-separated without header or quoting
 * (`genre, file, year, id, score, sentence1, sentence2`, sometimes trailing source columns, which
 * are ignored); sentences hold quote characters, so they must not go through a CSV parser.
 * A file whose first line has no tab is read as CSV with a `sentence1,sentence2,score` header.
 */
export function parseSts(content: string): StsParseResult {
  const text = content.replace(/^\uFEFF/, '');
  const firstLine = text.slice(0, text.indexOf('\n') >>> 0);
  return firstLine.includes('\t') ? parseStsBenchmarkTsv(text) : parseHeaderCsv(text);
}

function parseStsBenchmarkTsv(text: string): StsParseResult {
  const pairs: StsPair[] = [];
  const badLines: StsParseResult['badLines'] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const fields = line.split('\t');
    if (fields.length < 7) {
      badLines.push({ line: index + 1, reason: `${fields.length} fields, expected at least 7` });
      return;
    }
    const pair = checkedPair(fields[5] ?? '', fields[6] ?? '', fields[4] ?? '');
    if (typeof pair === 'string') badLines.push({ line: index + 1, reason: pair });
    else pairs.push(pair);
  });
  return { pairs, badLines };
}

function parseHeaderCsv(text: string): StsParseResult {
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  const pairs: StsPair[] = [];
  const badLines: StsParseResult['badLines'] = [];
  const fields = parsed.meta.fields ?? [];
  const missing = ['sentence1', 'sentence2', 'score'].filter((name) => !fields.includes(name));
  if (missing.length > 0) {
    badLines.push({ line: 1, reason: `header lacks ${missing.join(', ')}` });
    return { pairs, badLines };
  }
  for (const error of parsed.errors) {
    badLines.push({ line: (error.row ?? 0) + 2, reason: error.message });
  }
  const broken = new Set(parsed.errors.map((error) => error.row));
  parsed.data.forEach((row, index) => {
    if (broken.has(index)) return;
    const pair = checkedPair(row.sentence1 ?? '', row.sentence2 ?? '', row.score ?? '');
    // Row index 0 is line 2, under the header (for files without quoted line breaks).
    if (typeof pair === 'string') badLines.push({ line: index + 2, reason: pair });
    else pairs.push(pair);
  });
  return { pairs, badLines };
}

/** The pair, or why it is unusable. */
function checkedPair(sentence1: string, sentence2: string, score: string): StsPair | string {
  const value = score.trim() === '' ? Number.NaN : Number(score);
  if (!Number.isFinite(value)) return `score "${score}" is not a number`;
  if (sentence1.trim() === '' || sentence2.trim() === '') return 'empty sentence';
  return { sentence1: sentence1.trim(), sentence2: sentence2.trim(), score: value };
}
