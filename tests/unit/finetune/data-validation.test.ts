import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatorFor, parseFinetuneArgs } from '../../../src/cli/finetune.ts';
import { BeirFormatError } from '../../../src/core/eval/beir.ts';
import {
  readBeirTrainingPairs,
  readLabelledPairs,
  readQaPairs,
  readScoredPairs,
  readTriplets,
  splitValidation,
  type FineTuneExamples,
} from '../../../src/core/finetune/index.ts';

/** Bad rows, with their line numbers, for every training-data format (item 1). */
describe('bad rows are reported with file and line in every format', () => {
  it('Q/A JSONL with configured field names', async () => {
    const text = ['{"q": "one?", "a": "1"}', '{"q": "two?"}', 'not json', '{"q": "", "a": "x"}'];
    const result = await readQaPairs(text.join('\n'), {
      file: 'qa.jsonl',
      questionField: 'q',
      answerField: 'a',
    });
    expect(result.examples).toHaveLength(1);
    expect(result.badRows.map((r) => [r.file, r.line])).toEqual([
      ['qa.jsonl', 2],
      ['qa.jsonl', 3],
      ['qa.jsonl', 4],
    ]);
    expect(result.badRows[0]?.reason).toMatch(/"a"/);
  });

  it('triplets as headerless TSV: a row without its negative', async () => {
    const text = [
      'Who wrote it?\tThe author did.\tA cat sat.',
      'Where is it?\tIn the box.',
      '',
      'When was it?\t\tYesterday at noon.',
      'Why now?\tBecause it is time.\tBlue skies.',
    ].join('\n');
    const result = await readTriplets(text, { file: 't.tsv' });
    expect(result.examples.map((e) => e.anchor)).toEqual(['Who wrote it?', 'Why now?']);
    expect(result.badRows.map((r) => [r.line, r.reason])).toEqual([
      [2, 'no negative (2)'],
      [4, 'empty positive'],
    ]);
  });

  it('scored pairs as TSV and CSV: scores that are missing, not numbers or out of range', async () => {
    const tsv = [
      'text1\ttext2\tscore',
      'A man runs.\tA person runs.\t3',
      'A dog barks.\tA cat sleeps.\tx',
      'It rains.\tIt pours.',
      'Sun is up.\tDay has come.\t6',
    ].join('\n');
    const fromTsv = await readScoredPairs(tsv, { file: 's.tsv', scoreRange: [0, 5] });
    expect(fromTsv.examples.map((e) => e.label)).toEqual([0.6]);
    expect(fromTsv.badRows.map((r) => r.line)).toEqual([3, 4, 5]);
    expect(fromTsv.badRows[2]?.reason).toBe('score 6 is outside [0, 5]');
    const csv = 'sentence1,sentence2,score\n"a, b",c,1\n,d,0.5\n';
    const fromCsv = await readScoredPairs(csv, { file: 's.csv' });
    expect(fromCsv.examples.map((e) => e.text1)).toEqual(['a, b']);
    expect(fromCsv.badRows).toEqual([{ file: 's.csv', line: 3, reason: 'empty first text' }]);
  });

  it('labelled pairs as CSV: labels other than 0/1', async () => {
    const csv = 'text1,text2,label\nx,y,1\nx,z,yes\nx,w,2\nx,v,0\n';
    const result = await readLabelledPairs(csv, { file: 'l.csv' });
    expect(result.examples.map((e) => e.label)).toEqual([1, 0]);
    expect(result.badRows.map((r) => r.line)).toEqual([3, 4]);
  });

  it('BEIR train split: a malformed qrels or corpus line names its file and line', async () => {
    const files: Record<string, string[]> = {
      'corpus.jsonl': ['{"_id": "d1", "title": "T", "text": "doc one"}', '{"_id": "d2"}'],
      'queries.jsonl': ['{"_id": "q1", "text": "query one"}'],
      'qrels/train.tsv': ['query-id\tcorpus-id\tscore', 'q1\td1\t1', 'q1\td1'],
    };
    const open = (relative: string) => files[relative] ?? [];
    await expect(readBeirTrainingPairs(open)).rejects.toThrow(BeirFormatError);
    await expect(readBeirTrainingPairs(open)).rejects.toThrow(/^qrels\/train\.tsv:3: /);
    files['qrels/train.tsv'] = ['query-id\tcorpus-id\tscore', 'q1\td1\t1'];
    await expect(readBeirTrainingPairs(open)).rejects.toThrow(/^corpus\.jsonl:2: missing "text"/);
    files['corpus.jsonl'] = ['{"_id": "d1", "title": "T", "text": "doc one"}'];
    expect(await readBeirTrainingPairs(open)).toEqual([
      { anchor: 'query one', positive: 'T doc one' },
    ]);
  });
});

describe('automatic or explicit validation split (lumina finetune)', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'lumina-ft-split-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const qa = Array.from({ length: 30 }, (_, i) => ({ anchor: `q${i}`, positive: `a${i}` }));
  const args = (loss: string, evalFile?: string) =>
    parseFinetuneArgs([
      '--base',
      'b',
      '--pairs',
      'p',
      '--out',
      'o',
      '--loss',
      loss,
      ...(evalFile ? ['--eval', evalFile] : []),
    ]);

  it('without --eval: a seeded 10 % held out, the same as splitValidation', async () => {
    const { evaluator, train, source } = await evaluatorFor(args('mnrl'), qa, 42);
    const expected = splitValidation(qa, { fraction: 0.1, seed: 42 });
    expect(train).toEqual(expected.train);
    expect(source).toBe('3 held-out pairs');
    expect(evaluator.primaryMetric).toBe('ndcg@10');
  });

  it('--eval <file>: every training example trains, the file evaluates in the loss’s format', async () => {
    const qaFile = path.join(root, 'dev.jsonl');
    await writeFile(
      qaFile,
      '{"question": "x?", "answer": "y"}\n{"question": "z?", "answer": "w"}\n',
    );
    const mnrl = await evaluatorFor(args('mnrl', qaFile), qa, 42);
    expect(mnrl.train).toBe(qa);
    expect(mnrl.evaluator.primaryMetric).toBe('ndcg@10');

    const pairs: FineTuneExamples = Array.from({ length: 10 }, (_, i) => ({
      text1: `s${i}`,
      text2: `t${i}`,
      label: i % 2,
    }));
    const labelled = path.join(root, 'dev-labels.tsv');
    await writeFile(labelled, 'text1\ttext2\tlabel\na\tb\t1\nc\td\t0\n');
    const binary = await evaluatorFor(args('contrastive', labelled), pairs, 1);
    expect(binary.train).toBe(pairs);
    expect(binary.evaluator.primaryMetric).toBe('accuracy');

    const scored = path.join(root, 'dev-scores.csv');
    await writeFile(scored, 'sentence1,sentence2,score\na,b,0.8\nc,d,0.1\n');
    expect((await evaluatorFor(args('cosine', scored), pairs, 1)).evaluator.primaryMetric).toBe(
      'spearman',
    );
    // A bad row in the evaluation file stops the run, with its line.
    await writeFile(scored, 'sentence1,sentence2,score\na,b,0.8\nc,d,oops\ne,f,0.2\n');
    await expect(evaluatorFor(args('cosine', scored), pairs, 1)).rejects.toThrow(
      /dev-scores\.csv:3: score "oops"/,
    );
  });
});
