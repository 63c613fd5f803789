import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.ts';
import { loadLocalModel } from '../../../src/cli/eval-model.ts';
import { finetuneCli, parseFinetuneArgs, type FinetuneReport } from '../../../src/cli/finetune.ts';
import { encodeSentences } from '../../../src/core/finetune/index.ts';
import { loadBertEncoder, parseBertEncoderConfig } from '../../../src/core/train/bert/index.ts';
import { mlmTokenizerFromJson } from '../../../src/core/train/data/index.ts';
import { captureIo } from '../../support/cli-io.ts';
import { tinyBaseConfigJson } from '../../support/tiny-base.ts';

const SHARED = new URL('../../../../shared/', import.meta.url);
const MINILM = new URL('models/all-MiniLM-L6-v2/', SHARED);
const STSB = new URL('datasets/stsb/', SHARED);
const SCIFACT = new URL('datasets/scifact/', SHARED);

let root: string;
let base: string;

function lines(url: URL | string): string[] {
  return readFileSync(url, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0);
}

/**
 * A small BEIR folder cut from SciFact: the first `trainQueries` train queries and the first
 * `testQueries` test queries with their judged documents, plus `distractors` other documents.
 */
async function scifactSlice(
  dir: string,
  trainQueries: number,
  testQueries: number,
  distractors: number,
) {
  const pick = (file: string, count: number) => {
    const [header = '', ...rows] = lines(new URL(`qrels/${file}`, SCIFACT));
    const ids = [...new Set(rows.map((row) => row.split('\t')[0]))].slice(0, count);
    return [header, ...rows.filter((row) => ids.includes(row.split('\t')[0]))];
  };
  const train = pick('train.tsv', trainQueries);
  const test = pick('test.tsv', testQueries);
  const queryIds = new Set([...train.slice(1), ...test.slice(1)].map((r) => r.split('\t')[0]));
  const docIds = new Set([...train.slice(1), ...test.slice(1)].map((r) => r.split('\t')[1]));
  const corpus = lines(new URL('corpus.jsonl', SCIFACT));
  let extra = 0;
  const kept = corpus.filter((line) => {
    const id = (JSON.parse(line) as { _id: string })._id;
    if (docIds.has(id)) return true;
    return extra++ < distractors;
  });
  const queries = lines(new URL('queries.jsonl', SCIFACT)).filter((line) =>
    queryIds.has((JSON.parse(line) as { _id: string })._id),
  );
  await mkdir(path.join(dir, 'qrels'), { recursive: true });
  await writeFile(path.join(dir, 'corpus.jsonl'), kept.join('\n'));
  await writeFile(path.join(dir, 'queries.jsonl'), queries.join('\n'));
  await writeFile(path.join(dir, 'qrels', 'train.tsv'), train.join('\n'));
  await writeFile(path.join(dir, 'qrels', 'test.tsv'), test.join('\n'));
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lumina-finetune-'));
  const config = path.join(root, 'config.json');
  await writeFile(config, JSON.stringify(tinyBaseConfigJson));
  base = path.join(root, 'base');
  const init = captureIo();
  const code = await runCli(
    [
      'model',
      'init',
      '--config',
      config,
      '--tokenizer',
      new URL('.', MINILM).pathname,
      '--seed',
      '11',
      '--out',
      base,
    ],
    init.io,
  );
  expect(code, init.err.join('\n')).toBe(0);
  await writeFile(
    path.join(root, 'sts-train.csv'),
    lines(new URL('sts-train.csv', STSB)).slice(0, 64).join('\n'),
  );
  await writeFile(
    path.join(root, 'sts-dev.csv'),
    lines(new URL('sts-dev.csv', STSB)).slice(0, 80).join('\n'),
  );
  await scifactSlice(path.join(root, 'scifact'), 24, 10, 30);
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The exported folder's ONNX embeddings (Lumina's engine) against TF.js on its safetensors. */
async function maxEmbeddingGap(dir: string, texts: string[]): Promise<number> {
  const engine = await loadLocalModel(dir);
  let onnx: Float32Array;
  try {
    onnx = await engine.embed(texts, 'document');
  } finally {
    await engine.dispose();
  }
  const config = parseBertEncoderConfig(
    JSON.parse(await readFile(path.join(dir, 'config.json'), 'utf8')),
  );
  const encoder = await loadBertEncoder(
    config,
    new Uint8Array(await readFile(path.join(dir, 'model.safetensors'))),
  );
  try {
    const tokenizer = mlmTokenizerFromJson(
      JSON.parse(await readFile(path.join(dir, 'tokenizer.json'), 'utf8')),
    );
    const vectors = await encodeSentences(
      { encoder, tokenizer, pooling: { mode: 'mean', normalize: true }, maxLength: 64 },
      texts,
    );
    let gap = 0;
    const dims = config.hiddenSize;
    vectors.forEach((vector, row) => {
      vector.forEach((value, k) => {
        gap = Math.max(gap, Math.abs(value - (onnx[row * dims + k] as number)));
      });
    });
    return gap;
  } finally {
    encoder.dispose();
  }
}

describe('lumina finetune', () => {
  it('checks its arguments', () => {
    expect(() => parseFinetuneArgs(['--base', 'b', '--pairs', 'p', '--out', 'o'])).toThrow(
      /--loss/,
    );
    expect(() =>
      parseFinetuneArgs(['--base', 'b', '--pairs', 'p', '--out', 'o', '--loss', 'triplet']),
    ).toThrow(/--loss must be/);
    expect(() =>
      parseFinetuneArgs([
        '--base',
        'b',
        '--pairs',
        'p',
        '--loss',
        'mnrl',
        '--out',
        'o',
        '--lr',
        '-1',
      ]),
    ).toThrow(/--lr/);
  });

  it('fine-tunes with cosine loss on an STS-B train slice, evaluated on STS-B dev', async () => {
    const out = path.join(root, 'sts-model');
    const run = captureIo();
    const code = await runCli(
      [
        'finetune',
        '--base',
        base,
        '--pairs',
        path.join(root, 'sts-train.csv'),
        '--loss',
        'cosine',
        '--eval',
        path.join(root, 'sts-dev.csv'),
        '--out',
        out,
        '--epochs',
        '3',
        '--batch',
        '16',
        '--lr',
        '0.002',
        '--max-length',
        '64',
        '--backend',
        'wasm',
      ],
      run.io,
    );
    expect(code, run.err.join('\n')).toBe(0);
    const report = JSON.parse(run.out.at(-1) as string) as FinetuneReport;
    console.log('cosine/STS-B', JSON.stringify(report));
    expect(report.steps).toBe(12);
    expect(report.primary_metric).toBe('spearman');
    expect(report.loss.last).toBeLessThan(report.loss.first as number);
    expect(report.before?.['spearman']).toBeTypeOf('number');
    expect(report.after?.['spearman']).toBeTypeOf('number');
    expect(run.err.join('\n')).toMatch(/metric\s+before\s+after\s+change/);
    expect(run.err.join('\n')).toMatch(/spearman\s+-?\d\.\d{4}\s+-?\d\.\d{4}/);
    const texts = lines(new URL('sts-dev.csv', STSB))
      .slice(0, 6)
      .map((line) => line.split('\t')[5] as string);
    expect(await maxEmbeddingGap(out, texts)).toBeLessThanOrEqual(1e-4);
  }, 120_000);

  it('fine-tunes with MNRL on a SciFact train slice, stops, resumes and exports', async () => {
    const out = path.join(root, 'scifact-model');
    const dir = path.join(root, 'scifact');
    const args = parseFinetuneArgs([
      '--base',
      base,
      '--pairs',
      dir,
      '--loss',
      'mnrl',
      '--eval',
      dir,
      '--out',
      out,
      '--epochs',
      '3',
      '--batch',
      '8',
      '--lr',
      '0.002',
      '--max-length',
      '64',
      '--backend',
      'wasm',
    ]);
    const controller = new AbortController();
    let stopAt = 0;
    // Train rows come every 10 steps and at each epoch's end: stop after the first one.
    const first = captureIo((line) => {
      const step = /^finetune: step (\d+) loss/.exec(line)?.[1];
      if (step && !controller.signal.aborted) {
        stopAt = Number(step);
        controller.abort();
      }
    });
    const stopped = await finetuneCli(args, first.io, controller.signal);
    expect(stopped.status).toBe('stopped');
    expect(stopAt).toBeGreaterThan(0);
    expect(stopped.steps).toBe(stopAt);
    const second = captureIo();
    const report = await finetuneCli({ ...args, resume: true }, second.io);
    console.log('mnrl/SciFact', JSON.stringify(report));
    expect(report.resumed_from).toBe(stopAt);
    expect(report.status).toBe('completed');
    expect(report.primary_metric).toBe('ndcg@10');
    expect(report.loss.last).toBeLessThan(report.loss.first as number);
    expect(report.before?.['queries']).toBe(10);
    expect(report.after?.['ndcg@10']).toBeTypeOf('number');
    const queries = lines(path.join(dir, 'queries.jsonl'))
      .slice(0, 4)
      .map((line) => (JSON.parse(line) as { text: string }).text);
    expect(await maxEmbeddingGap(out, queries)).toBeLessThanOrEqual(1e-4);
  }, 180_000);
});
