import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { env, pipeline } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.ts';
import type { CliIo } from '../../../src/cli/cli-types.ts';
import { sha256Hex } from '../../../src/core/hash.ts';
import { parseBertConfig } from '../../../src/core/model/bert-config.ts';
import { bertTensorSpecs } from '../../../src/core/model/bert-tensors.ts';
import { decodeSafetensors, type SafetensorsTensor } from '../../../src/core/model/safetensors.ts';
import { l2Normalize, meanPool, referenceBertForward } from '../../support/reference-bert.ts';

const minilmDir = fileURLToPath(
  new URL('../../../../shared/models/all-MiniLM-L6-v2/', import.meta.url),
);
const minilmConfig = path.join(minilmDir, 'config.json');

interface Captured {
  code: number;
  stdout: string[];
  stderr: string[];
}

async function lumina(...argv: string[]): Promise<Captured> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = { stdout: (line) => stdout.push(line), stderr: (line) => stderr.push(line) };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

interface Report {
  out: string;
  seed: number;
  parameters: number;
  files: { path: string; bytes: number; sha256: string }[];
}

let tmp: string;
let out: string;
let result: Captured;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lumina-model-init-'));
  out = path.join(tmp, 'seeded-minilm');
  result = await lumina(
    'model',
    'init',
    '--config',
    minilmConfig,
    '--tokenizer',
    minilmDir,
    '--seed',
    '42',
    '--out',
    out,
  );
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('lumina model init', () => {
  it('writes the Hugging Face layout and reports it in one JSON line', async () => {
    expect(result.stderr).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toHaveLength(1);
    const report = JSON.parse(result.stdout[0] ?? '') as Report;
    expect(report.out).toBe(path.resolve(out));
    expect(report.seed).toBe(42);
    expect(report.parameters).toBe(22_713_216);
    expect(report.files.map((file) => file.path).sort()).toEqual(
      [
        '1_Pooling/config.json',
        'config.json',
        'config_sentence_transformers.json',
        'model.safetensors',
        'modules.json',
        'onnx/model.onnx',
        'sentence_bert_config.json',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'vocab.txt',
      ].sort(),
    );
    for (const file of report.files) {
      const bytes = await readFile(path.join(out, file.path));
      expect(bytes.length).toBe(file.bytes);
      expect(await sha256Hex(bytes)).toBe(file.sha256);
    }
    for (const name of ['tokenizer.json', 'vocab.txt']) {
      const copied = await readFile(path.join(out, name));
      expect(copied.equals(await readFile(path.join(minilmDir, name)))).toBe(true);
    }
  });

  it('writes a config, sentence-transformers files and a safetensors file that agree', async () => {
    const readJson = async (name: string) =>
      JSON.parse(await readFile(path.join(out, name), 'utf8')) as Record<string, unknown>;
    const config = await readJson('config.json');
    expect(config).toMatchObject({
      model_type: 'bert',
      hidden_size: 384,
      architectures: ['BertModel'],
    });
    expect(config._name_or_path).toBeUndefined();
    expect(await readJson('sentence_bert_config.json')).toMatchObject({ max_seq_length: 256 });
    expect(await readJson('1_Pooling/config.json')).toMatchObject({
      word_embedding_dimension: 384,
      pooling_mode_mean_tokens: true,
      pooling_mode_cls_token: false,
    });
    expect(await readJson('modules.json')).toHaveLength(3);

    const safetensors = decodeSafetensors(await readFile(path.join(out, 'model.safetensors')));
    expect(safetensors.metadata).toMatchObject({ format: 'pt', seed: '42' });
    const specs = bertTensorSpecs(parseBertConfig(config));
    expect(safetensors.tensors.size).toBe(specs.length);
    expect(specs).toHaveLength(5 + 6 * 16 + 2);
    for (const spec of specs) {
      const tensor = safetensors.tensors.get(spec.name);
      expect(tensor?.dtype, spec.name).toBe('F32');
      expect(tensor?.shape, spec.name).toEqual(spec.shape);
    }
  });

  it('runs in the transformers.js feature-extraction pipeline, matching the reference', async () => {
    env.allowRemoteModels = false;
    env.localModelPath = `${tmp}${path.sep}`;
    const extractor = await pipeline('feature-extraction', 'seeded-minilm', { dtype: 'fp32' });
    const texts = ['Hello world!', 'Seeded weights, exported by Lumina, padded in a batch.'];
    const embeddings = await extractor(texts, { pooling: 'mean', normalize: true });
    expect(embeddings.dims).toEqual([2, 384]);

    const encoded = extractor.tokenizer(texts, { padding: true, truncation: true });
    const rows = (tensor: { data: unknown; dims: number[] }): number[][] => {
      const [batch = 0, width = 0] = tensor.dims;
      const flat = Array.from(tensor.data as BigInt64Array, Number);
      return Array.from({ length: batch }, (_, b) => flat.slice(b * width, (b + 1) * width));
    };
    const inputIds = rows(encoded.input_ids);
    const attentionMask = rows(encoded.attention_mask);
    expect(attentionMask[0]?.includes(0)).toBe(true);

    const weights = decodeSafetensors(await readFile(path.join(out, 'model.safetensors')));
    const f32 = new Map(
      [...weights.tensors].map(([name, t]: [string, SafetensorsTensor]) => [
        name,
        { shape: t.shape, data: t.data as Float32Array },
      ]),
    );
    const config = parseBertConfig(JSON.parse(await readFile(minilmConfig, 'utf8')));
    const states = referenceBertForward(config, f32, { inputIds, attentionMask });
    const expected = meanPool(states, attentionMask).map(l2Normalize);
    const actual = embeddings.data as Float32Array;
    let diff = 0;
    expected.forEach((vector, b) =>
      vector.forEach((value, j) => {
        diff = Math.max(diff, Math.abs((actual[b * 384 + j] ?? Number.NaN) - value));
      }),
    );
    expect(diff).toBeLessThanOrEqual(1e-5);
    await extractor.dispose();
  });
});

describe('lumina model init errors', () => {
  it('names a missing option', async () => {
    const { code, stderr } = await lumina('model', 'init', '--config', minilmConfig, '--out', tmp);
    expect(code).toBe(2);
    expect(stderr.join('\n')).toContain('--tokenizer is required');
  });

  it('names a bad number and an unknown option', async () => {
    const args = ['--config', minilmConfig, '--tokenizer', minilmDir, '--out', tmp];
    const bad = await lumina('model', 'init', ...args, '--seed=-3');
    expect(bad.code).toBe(2);
    expect(bad.stderr.join('\n')).toContain('--seed must be a non-negative integer, got "-3"');
    const zero = await lumina('model', 'init', ...args, '--seed', '1', '--max-seq-length', '0');
    expect(zero.code).toBe(2);
    expect(zero.stderr.join('\n')).toContain(
      '--max-seq-length must be a positive integer, got "0"',
    );
    const unknown = await lumina('model', 'init', ...args, '--seed', '1', '--layers', '3');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.join('\n')).toMatch(/Unknown option '--layers'/);
  });

  it('names the file and field of a bad config, and a tokenizer folder without tokenizer.json', async () => {
    const badConfig = path.join(tmp, 'bad-config.json');
    await writeFile(
      badConfig,
      JSON.stringify({ ...JSON.parse(await readFile(minilmConfig, 'utf8')), hidden_act: 'relu' }),
    );
    const bad = await lumina(
      'model',
      'init',
      '--config',
      badConfig,
      '--tokenizer',
      minilmDir,
      '--seed',
      '1',
      '--out',
      path.join(tmp, 'x'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr.join('\n')).toContain(
      `--config ${badConfig}: config.json: "hidden_act" is "relu"`,
    );

    const missing = await lumina(
      'model',
      'init',
      '--config',
      path.join(tmp, 'nope.json'),
      '--tokenizer',
      minilmDir,
      '--seed',
      '1',
      '--out',
      tmp,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr.join('\n')).toContain('nope.json: cannot read (ENOENT)');

    const noTokenizer = await lumina(
      'model',
      'init',
      '--config',
      minilmConfig,
      '--tokenizer',
      tmp,
      '--seed',
      '1',
      '--out',
      path.join(tmp, 'y'),
    );
    expect(noTokenizer.code).toBe(1);
    expect(noTokenizer.stderr.join('\n')).toContain('no tokenizer.json in that directory');
    await expect(stat(path.join(tmp, 'y'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('lists the commands for an unknown one', async () => {
    const { code, stderr } = await lumina('model', 'train');
    expect(code).toBe(2);
    expect(stderr.join('\n')).toContain('Unknown command "model train"');
    expect(stderr.join('\n')).toContain('lumina model init');
  });
});
