import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { parseSts } from '../../../src/core/eval/sts.ts';
import {
  formatBadRows,
  readBeirTrainingPairs,
  readLabelledPairs,
  readQaPairs,
  readScoredPairs,
  readTriplets,
  splitValidation,
  TestSplitError,
} from '../../../src/core/finetune/index.ts';

const STSB = '/work/shared/datasets/stsb';
const SCIFACT = '/work/shared/datasets/scifact';

/** The text in small chunks, so rows and quoted fields straddle chunk boundaries. */
function* chunked(text: string, size = 7): Generator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

describe('Q/A pairs (JSONL)', () => {
  const file = [
    '{"question": "What is TF.js?", "answer": "A JavaScript ML library."}',
    '',
    '{"question": "broken", ',
    '{"question": "No answer here"}',
    '["a list"]',
    '{"question": "Q2", "answer": "   "}',
    '{"question": "Why?", "answer": "Because.", "extra": 1}',
  ].join('\n');

  it('reads good rows, reports bad ones with file and line, carries on', async () => {
    for (const source of [file, chunked(file)]) {
      const result = await readQaPairs(source, { file: 'qa.jsonl' });
      expect(result.examples.map((e) => [e.anchor, e.positive, e.source?.line])).toEqual([
        ['What is TF.js?', 'A JavaScript ML library.', 1],
        ['Why?', 'Because.', 7],
      ]);
      expect(result.badRows.map((r) => [r.file, r.line])).toEqual([
        ['qa.jsonl', 3],
        ['qa.jsonl', 4],
        ['qa.jsonl', 5],
        ['qa.jsonl', 6],
      ]);
      expect(result.badRows[1]?.reason).toMatch(/"answer"/);
      expect(result.badRows[3]?.reason).toMatch(/empty/);
    }
  });

  it('takes configurable field names', async () => {
    const result = await readQaPairs('{"q": "x?", "a": "y."}\n', {
      file: 'f.jsonl',
      questionField: 'q',
      answerField: 'a',
    });
    expect(result.examples).toMatchObject([{ anchor: 'x?', positive: 'y.' }]);
    expect(formatBadRows([{ file: 'f.jsonl', line: 3, reason: 'empty "a"' }])).toBe(
      'f.jsonl:3: empty "a"',
    );
  });
});

describe('triplets', () => {
  it('JSONL with a negative column; rows lacking it are bad', async () => {
    const text = [
      '{"anchor": "a1", "positive": "p1", "negative": "n1"}',
      '{"anchor": "a2", "positive": "p2"}',
      '{"anchor": "a3", "positive": "p3", "negative": "n3"}',
    ].join('\n');
    const result = await readTriplets(text, { file: 't.jsonl' });
    expect(result.examples.map((e) => [e.anchor, e.positive, e.negatives])).toEqual([
      ['a1', 'p1', ['n1']],
      ['a3', 'p3', ['n3']],
    ]);
    expect(result.badRows).toEqual([
      { file: 't.jsonl', line: 2, reason: 'no negative ("negative")' },
    ]);
  });

  it('CSV with a header, quoted commas and a quoted line break', async () => {
    const text =
      'anchor,positive,negative\r\n"a, one",p1,n1\r\n"a\ntwo",p2,n2\r\nonly-anchor,,n3\r\n';
    for (const source of [text, chunked(text, 5)]) {
      const result = await readTriplets(source, { file: 't.csv' });
      expect(
        result.examples.map((e) => [e.anchor, e.positive, e.negatives, e.source?.line]),
      ).toEqual([
        ['a, one', 'p1', ['n1'], 2],
        ['a\ntwo', 'p2', ['n2'], 3],
      ]);
      expect(result.badRows).toEqual([{ file: 't.csv', line: 5, reason: 'empty positive' }]);
    }
  });

  it('headerless TSV pairs: first two columns', async () => {
    const result = await readTriplets('How are you?\tFine, thanks.\nWhere?\tHere.\n', {
      file: 'p.tsv',
    });
    expect(result.examples.map((e) => [e.anchor, e.positive, e.negatives])).toEqual([
      ['How are you?', 'Fine, thanks.', undefined],
      ['Where?', 'Here.', undefined],
    ]);
  });
});

describe('scored pairs', () => {
  it.each(['sts-train.csv', 'sts-dev.csv', 'sts-test.csv'])(
    'STS-B %s: same pairs as the eval module’s STS parser, scores 0–5 → 0–1',
    async (name) => {
      const text = readFileSync(join(STSB, name), 'utf8');
      const reference = parseSts(text);
      const result = await readScoredPairs(chunked(text, 4096), { file: name });
      expect(result.badRows).toEqual(
        reference.badLines.map((b) => ({ file: name, line: b.line, reason: expect.any(String) })),
      );
      expect(result.examples).toHaveLength(reference.pairs.length);
      result.examples.forEach((example, i) => {
        const gold = reference.pairs[i];
        expect(example.text1).toBe(gold?.sentence1);
        expect(example.text2).toBe(gold?.sentence2);
        expect(example.label).toBeCloseTo((gold?.score as number) / 5, 12);
      });
      // Quotes inside sentences survive (STS-B is tab-separated without quoting).
      expect(result.examples.some((e) => e.text1.includes('"') || e.text2.includes('"'))).toBe(
        true,
      );
    },
  );

  it('sts-train.csv reads every one of its 5749 lines', async () => {
    const result = await readScoredPairs(readFileSync(join(STSB, 'sts-train.csv'), 'utf8'), {
      file: 'sts-train.csv',
    });
    expect(result.examples.length + result.badRows.length).toBe(5749);
    expect(result.badRows).toEqual([]);
    expect(Math.max(...result.examples.map((e) => e.label))).toBe(1);
    expect(Math.min(...result.examples.map((e) => e.label))).toBe(0);
  });

  it('CSV with a header, explicit range, bad scores reported', async () => {
    const text =
      'sentence1,sentence2,score\nA cat.,A dog.,2\n"Hi, there",Hello,4\nX,Y,seven\nP,Q,11\n';
    const result = await readScoredPairs(text, { file: 's.csv', scoreRange: [0, 10] });
    expect(result.examples.map((e) => [e.text1, e.text2, e.label])).toEqual([
      ['A cat.', 'A dog.', 0.2],
      ['Hi, there', 'Hello', 0.4],
    ]);
    expect(result.badRows.map((r) => [r.line, r.reason])).toEqual([
      [4, 'score "seven" is not a number'],
      [5, 'score 11 is outside [0, 10]'],
    ]);
  });
});

describe('labelled pairs', () => {
  it('0/1 labels from a TSV with a header; other labels are bad rows', async () => {
    const text =
      'text1\ttext2\tlabel\nq one\tq uno\t1\nq two\tsomething else\t0\nq three\tx\t0.5\n';
    const result = await readLabelledPairs(text, { file: 'l.tsv' });
    expect(result.examples.map((e) => e.label)).toEqual([1, 0]);
    expect(result.badRows).toEqual([
      { file: 'l.tsv', line: 4, reason: 'label "0.5" is not 0 or 1' },
    ]);
  });
});

describe('BEIR pairs', () => {
  const open = (relative: string) =>
    createInterface({
      input: createReadStream(join(SCIFACT, relative), 'utf8'),
      crlfDelay: Infinity,
    });

  it('SciFact train qrels → one (query, title + text) pair per relevant judgement', async () => {
    const pairs = await readBeirTrainingPairs(open);
    const qrels = readFileSync(join(SCIFACT, 'qrels/train.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t'));
    expect(pairs).toHaveLength(qrels.filter((q) => Number(q[2]) > 0).length);
    // 809 judged queries; two pairs of them share a text, read independently here.
    const judgedIds = new Set(qrels.map((q) => q[0]));
    const texts = readFileSync(join(SCIFACT, 'queries.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { _id: string; text: string })
      .filter((q) => judgedIds.has(q._id))
      .map((q) => q.text);
    expect(judgedIds.size).toBe(809);
    expect(new Set(pairs.map((p) => p.anchor))).toEqual(new Set(texts));
    // The first judgement: query 0 → document 31715818, read from the files directly.
    const query = readFileSync(join(SCIFACT, 'queries.jsonl'), 'utf8')
      .split('\n')
      .map((line) => (line ? (JSON.parse(line) as { _id: string; text: string }) : null))
      .find((q) => q?._id === qrels[0]?.[0]);
    expect(pairs[0]?.anchor).toBe(query?.text);
    expect(pairs[0]?.positive.length).toBeGreaterThan(100);
  });

  it('refuses the test split', async () => {
    await expect(readBeirTrainingPairs(open, { split: 'test' })).rejects.toThrow(TestSplitError);
  });
});

describe('validation split', () => {
  const items = Array.from({ length: 100 }, (_, i) => i);
  it('seeded, disjoint, covering, order-keeping', () => {
    const a = splitValidation(items, { fraction: 0.1, seed: 7 });
    const b = splitValidation(items, { fraction: 0.1, seed: 7 });
    const c = splitValidation(items, { fraction: 0.1, seed: 8 });
    expect(a).toEqual(b);
    expect(a.validation).not.toEqual(c.validation);
    expect(a.validation).toHaveLength(10);
    expect([...a.train, ...a.validation].sort((x, y) => x - y)).toEqual(items);
    expect(a.train).toEqual([...a.train].sort((x, y) => x - y));
    expect(splitValidation(items, { count: 3, seed: 1 }).validation).toHaveLength(3);
    expect(() => splitValidation(items, { fraction: 1, seed: 1 })).toThrow(RangeError);
  });
});
