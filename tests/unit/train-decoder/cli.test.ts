import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/cli-types.ts';
import { parseTrainClmArgs, trainClmCli } from '../../../src/cli/train-clm.ts';
import { repeatedCorpus } from './fixture.ts';

let root: string;
let corpus: string;
let configFile: string;

const CONFIG = `
model: { d_model: 32, n_layers: 2, n_heads: 4, d_ff: 64, max_seq_len: 64, dropout: 0.1, attention_dropout: 0.1, layer_norm_eps: 1.0e-5 }
data: { seq_len: 16, split: { train: 0.8, validation: 0.2, test: 0 } }
training:
  batch_size: 4
  epochs: 5
  max_steps: 6
  learning_rate: 5.0e-3
  warmup_steps: 1
  warmup_ratio: 0
  log_every_steps: 1
  eval_every_steps: 3
  checkpoint_every_steps: 3
  early_stopping: { patience: 0 }
  backend: wasm
`;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lumina-train-clm-'));
  corpus = path.join(root, 'corpus.txt');
  configFile = path.join(root, 'config.yaml');
  await writeFile(corpus, repeatedCorpus(6).join('\n'));
  await writeFile(configFile, CONFIG);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function io(onErr: (line: string) => void = () => undefined): { io: CliIo; err: string[] } {
  const err: string[] = [];
  return {
    io: {
      stdout: () => undefined,
      stderr: (line) => {
        err.push(line);
        onErr(line);
      },
    },
    err,
  };
}

describe('lumina train clm', () => {
  it('parses its flags', () => {
    expect(() => parseTrainClmArgs(['--config', 'c', '--out', 'o'])).toThrow(/--corpus/);
    expect(() =>
      parseTrainClmArgs(['--corpus', 'a', '--config', 'c', '--out', 'o', '--vocab', '12']),
    ).toThrow(/--vocab/);
    expect(parseTrainClmArgs(['a.txt', '--config', 'c', '--out', 'o', '--resume'])).toMatchObject({
      corpus: ['a.txt'],
      resume: true,
    });
  });

  it('trains a tokenizer and a decoder, stops, resumes, writes the generation folder', async () => {
    const out = path.join(root, 'model');
    const args = parseTrainClmArgs([
      '--corpus',
      corpus,
      '--config',
      configFile,
      '--out',
      out,
      '--vocab',
      '400',
    ]);
    const controller = new AbortController();
    const first = io((line) => {
      if (/step 4 train/.test(line)) controller.abort();
    });
    const stopped = await trainClmCli(args, first.io, controller.signal);
    expect(stopped.status).toBe('stopped');
    expect(stopped.steps).toBe(4);
    expect(first.err.join('\n')).toMatch(/training a byte-level BPE of 400 tokens/);

    const second = io();
    const resumed = await trainClmCli({ ...args, resume: true }, second.io);
    expect(resumed).toMatchObject({ status: 'completed', steps: 6, resumed_from: 4 });
    expect(resumed.val_perplexity).toBeCloseTo(Math.exp(resumed.val_loss ?? Number.NaN), 3);
    const metrics = (await readFile(path.join(out, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { step: number; split: string });
    expect(metrics.filter((row) => row.split === 'train').map((row) => row.step)).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    for (const file of ['config.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      expect(existsSync(path.join(out, file))).toBe(true);
    }
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({ model_type: 'gpt2', lumina_trained: true, vocab_size: 400 });
    expect(config['lumina_training']).toMatchObject({ steps: 6 });
  });
});
