import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.ts';
import { parseTrainMlmArgs, trainMlmCli } from '../../../src/cli/train-mlm.ts';
import { decodeSafetensors } from '../../../src/core/model/safetensors.ts';
import type { MetricRow } from '../../../src/core/store/index.ts';
import { tokenizerFileTexts, trainTokenizer } from '../../../src/core/tokenizer/train/index.ts';
import { trainConfigToYaml } from '../../../src/core/train/config/index.ts';
import { tinyConfig, wikiLines } from '../train-loop/fixture.ts';
import { captureIo } from '../../support/cli-io.ts';

let root: string;
let corpus: string;
let tokenizerDir: string;
let configFile: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lumina-train-mlm-'));
  const lines = wikiLines(300);
  corpus = path.join(root, 'corpus.txt');
  await writeFile(corpus, lines.join('\n'));
  tokenizerDir = path.join(root, 'tokenizer');
  const trained = await trainTokenizer(lines, { type: 'wordpiece', vocabSize: 500 });
  const { mkdir } = await import('node:fs/promises');
  await mkdir(tokenizerDir);
  for (const [name, text] of Object.entries(tokenizerFileTexts(trained))) {
    await writeFile(path.join(tokenizerDir, name), text);
  }
  configFile = path.join(root, 'config.yaml');
  const config = tinyConfig((c) => {
    c.data.seq_len = 16;
    c.training.max_steps = 6;
    c.training.checkpoint_every_steps = 2;
    c.training.eval_every_steps = 3;
    c.training.backend = 'wasm';
  });
  await writeFile(configFile, trainConfigToYaml(config));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('lumina train mlm', () => {
  it('checks its arguments', () => {
    expect(() => parseTrainMlmArgs(['--config', 'c.yaml', '--out', 'o'])).toThrow(/--corpus/);
    expect(() =>
      parseTrainMlmArgs(['--corpus', 'a', '--config', 'c', '--out', 'o', '--backend', 'webgpu']),
    ).toThrow(/cpu or wasm/);
  });

  it('trains, stops with a checkpoint, resumes with --resume and writes the model', async () => {
    const out = path.join(root, 'model');
    const args = ['--corpus', corpus, '--config', configFile, '--out', out];
    const controller = new AbortController();
    const first = captureIo((line) => {
      if (line.includes('step 3 train')) controller.abort();
    });
    const stopped = await trainMlmCli(
      parseTrainMlmArgs([...args, '--tokenizer', tokenizerDir]),
      first.io,
      controller.signal,
    );
    expect(stopped.status).toBe('stopped');
    expect(stopped.steps).toBe(3);
    expect((await readdir(path.join(out, 'checkpoints'))).sort()).toEqual([
      'step-00000002.json',
      'step-00000002.safetensors',
      'step-00000003.json',
      'step-00000003.safetensors',
    ]);

    const second = captureIo();
    const code = await runCli(['train', 'mlm', ...args, '--resume'], second.io);
    expect(second.err.join('\n')).toContain('resuming at step 3');
    expect(code).toBe(0);
    expect(second.out).toHaveLength(1);
    const report = JSON.parse(second.out[0] ?? '{}') as Record<string, unknown>;
    expect(report).toMatchObject({
      status: 'completed',
      steps: 6,
      resumed_from: 3,
      backend: 'wasm',
    });
    for (const key of [
      'train_loss',
      'val_loss',
      'val_accuracy',
      'perplexity',
      'tokens_per_second',
      'seconds',
    ]) {
      expect(typeof report[key], key).toBe('number');
    }
    expect(report['perplexity']).toBeCloseTo(Math.exp(report['val_loss'] as number), 3);

    // One row per step and split: the resumed run replaced nothing twice.
    const rows = (await readFile(path.join(out, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as MetricRow);
    expect(rows.filter((r) => r.split === 'train').map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows.filter((r) => r.split === 'validation').map((r) => r.step)).toEqual([3, 6]);

    for (const name of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/model.onnx',
      'modules.json',
      '1_Pooling/config.json',
      'README.md',
    ]) {
      expect(existsSync(path.join(out, name)), name).toBe(true);
    }
    const hf = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(hf).toMatchObject({
      model_type: 'bert',
      hidden_size: 32,
      num_hidden_layers: 2,
      vocab_size: 500,
    });
    const weights = decodeSafetensors(
      new Uint8Array(await readFile(path.join(out, 'model.safetensors'))),
    );
    expect(weights.tensors.get('embeddings.word_embeddings.weight')?.shape).toEqual([500, 32]);
    expect(
      [...weights.tensors.keys()].some((n) => n.startsWith('cls.') || n.startsWith('optimizer.')),
    ).toBe(false);
  });
});
