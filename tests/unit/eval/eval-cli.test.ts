import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.ts';
import type { CliIo } from '../../../src/cli/cli-types.ts';
import { parseEvalBeirArgs, parseEvalStsArgs } from '../../../src/cli/eval-args.ts';
import { tinySeededModel } from '../../support/shared-data.ts';

let root: string;
let data: string;
let modelDir: string;

function capture(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (line) => out.push(line), stderr: (line) => err.push(line) };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lumina-eval-cli-'));
  data = path.join(root, 'beir');
  await mkdir(path.join(data, 'qrels'), { recursive: true });
  const docs = [
    ['d1', 'Cats', 'Cats purr when they are content.'],
    ['d2', 'Dogs', 'Dogs bark at strangers.'],
    ['d3', 'Fish', 'Fish swim in schools.'],
  ];
  await writeFile(
    path.join(data, 'corpus.jsonl'),
    docs.map(([id, title, text]) => JSON.stringify({ _id: id, title, text })).join('\n'),
  );
  await writeFile(
    path.join(data, 'queries.jsonl'),
    ['{"_id":"q1","text":"why do cats purr"}', '{"_id":"q2","text":"barking dogs"}'].join('\n'),
  );
  await writeFile(
    path.join(data, 'qrels', 'test.tsv'),
    'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n',
  );
  modelDir = path.join(root, 'tiny-bert');
  const folder = await tinySeededModel(11);
  for (const [relative, bytes] of folder.files) {
    await mkdir(path.dirname(path.join(modelDir, relative)), { recursive: true });
    await writeFile(path.join(modelDir, relative), bytes);
  }
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('eval argument parsing', () => {
  it('reads retrievers, BM25 parameters and fusion settings', () => {
    const options = parseEvalBeirArgs([
      '--data',
      'd',
      '--retriever',
      'hybrid:models/m',
      '--k1',
      '1.2',
      '--b',
      '.75',
      '--fusion',
      'weighted',
      '--alpha',
      '0.3',
    ]);
    expect(options).toMatchObject({
      data: 'd',
      retriever: { kind: 'hybrid', model: 'models/m' },
      k1: 1.2,
      b: 0.75,
      fusion: 'weighted',
      alpha: 0.3,
      split: 'test',
      depth: 1000,
      runOut: undefined,
    });
    expect(parseEvalBeirArgs(['--data', 'd'])).toMatchObject({
      retriever: { kind: 'bm25' },
      bm25Fields: 'multi',
      k1: 0.9,
      b: 0.4,
      tieBreaker: 1,
    });
    expect(
      parseEvalBeirArgs(['--data', 'd', '--bm25-fields', 'flat', '--tie-breaker', '0.3']),
    ).toMatchObject({ bm25Fields: 'flat', tieBreaker: 0.3 });
    expect(parseEvalStsArgs(['--data', 'x.tsv', '--model', 'm'])).toMatchObject({ model: 'm' });
  });

  it('rejects bad values with a usage error', async () => {
    for (const args of [
      ['--retriever', 'bm25'],
      ['--data', 'd', '--retriever', 'splade'],
      ['--data', 'd', '--b', '2'],
      ['--data', 'd', '--k1', 'x'],
      ['--data', 'd', '--fusion', 'max'],
      ['--data', 'd', '--bm25-fields', 'title'],
      ['--data', 'd', '--tie-breaker', '1.5'],
      ['--data', 'd', '--bogus'],
    ]) {
      const io = capture();
      expect(await runCli(['eval', 'beir', ...args], io)).toBe(2);
      expect(io.err.join('\n')).toMatch(/Usage: lumina eval beir/);
    }
  });
});

describe('lumina eval beir', () => {
  it('prints one JSON line for BM25 and writes a TREC run file', async () => {
    const io = capture();
    const runOut = path.join(root, 'bm25.run');
    const code = await runCli(['eval', 'beir', '--data', data, '--run-out', runOut], io);
    expect(io.err.filter((line) => !line.startsWith('eval:'))).toEqual([]);
    expect(code).toBe(0);
    expect(io.out).toHaveLength(1);
    const report = JSON.parse(io.out[0] as string) as Record<string, unknown>;
    // Each query's only relevant document is the only one sharing its stems: perfect scores.
    expect(report).toMatchObject({
      retriever: 'bm25',
      bm25: 'multifield',
      k1: 0.9,
      b: 0.4,
      tieBreaker: 1,
      queries: 2,
      documents: 3,
      'ndcg@10': 1,
      'mrr@10': 1,
      'recall@100': 1,
      'map@100': 1,
    });
    const lines = (await readFile(runOut, 'utf8')).trim().split('\n');
    expect(lines.map((line) => line.split(' ').slice(0, 4).join(' '))).toEqual([
      'q1 Q0 d1 1',
      'q2 Q0 d2 1',
    ]);
    for (const line of lines) {
      const fields = line.split(' ');
      expect(fields).toHaveLength(6);
      expect(Number(fields[4])).toBeGreaterThan(0);
      expect(fields[5]).toBe('lumina-bm25');
    }
  });

  it('switches to one flat title + text field with --bm25-fields flat', async () => {
    const io = capture();
    const args = ['eval', 'beir', '--data', data, '--bm25-fields', 'flat', '--k1', '0.9'];
    expect(await runCli(args, io)).toBe(0);
    const report = JSON.parse(io.out[0] as string) as Record<string, unknown>;
    expect(report).toMatchObject({ retriever: 'bm25', bm25: 'flat', k1: 0.9, 'ndcg@10': 1 });
    expect(report).not.toHaveProperty('tieBreaker');
  });

  it('runs dense and hybrid retrieval with a local model folder', async () => {
    for (const retriever of [`dense:${modelDir}`, `hybrid:${modelDir}`]) {
      const io = capture();
      expect(await runCli(['eval', 'beir', '--data', data, '--retriever', retriever], io)).toBe(0);
      const report = JSON.parse(io.out[0] as string) as Record<string, number>;
      for (const metric of ['ndcg@10', 'mrr@10', 'recall@100', 'map@100']) {
        expect(report[metric]).toBeGreaterThanOrEqual(0);
        expect(report[metric]).toBeLessThanOrEqual(1);
      }
      // Three documents, all retrieved: every relevant document is within the top 100.
      expect(report['recall@100']).toBe(1);
    }
  }, 60_000);
});

describe('lumina eval sts', () => {
  it('prints finite Spearman and Pearson and reports bad lines', async () => {
    const file = path.join(root, 'sts.tsv');
    await writeFile(
      file,
      [
        'g\tf\t2012\t1\t5.0\tA man plays a guitar.\tA man plays the guitar.',
        'g\tf\t2012\t2\t0.5\tA cat sleeps.\tStocks fell sharply today.',
        'bad line',
        'g\tf\t2012\t3\t2.5\tA woman cooks.\tA woman is cooking food.\textra\tcolumns',
      ].join('\n'),
    );
    const io = capture();
    expect(await runCli(['eval', 'sts', '--data', file, '--model', modelDir], io)).toBe(0);
    expect(io.err).toContain(`eval: ${file}:3: skipped (1 fields, expected at least 7)`);
    const report = JSON.parse(io.out[0] as string) as Record<string, number>;
    expect(report.pairs).toBe(3);
    expect(report.badLines).toBe(1);
    for (const key of ['spearman', 'pearson'] as const) {
      expect(Number.isFinite(report[key])).toBe(true);
      expect(Math.abs(report[key] as number)).toBeLessThanOrEqual(1);
    }
  }, 60_000);
});
