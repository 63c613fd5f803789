import { appendFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.ts';
import { parseEmbedArgs } from '../../../src/cli/embed-args.ts';
import { embed, type EmbedReport } from '../../../src/cli/embed.ts';
import { readBundle } from '../../../src/core/bundle/index.ts';
import { EmbeddingModel } from '../../../src/core/embed/runtime/index.ts';
import { isAbortError } from '../../../src/core/abort.ts';
import { tinySeededModel } from '../../support/shared-data.ts';
import { captureIo } from '../../support/cli-io.ts';

let root: string;
let modelDir: string;
let corpus: string;
const CREATED = '2026-01-02T03:04:05.000Z';
const SETTINGS = ['--chunk-tokens', '16', '--overlap', '4', '--batch-tokens', '96'];

const paragraph = (topic: string) =>
  `${topic} is studied in many laboratories. Researchers measure ${topic} with care, ` +
  `compare results across cohorts and publish the findings about ${topic} in journals.`;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lumina-embed-cli-'));
  modelDir = path.join(root, 'tiny-bert');
  const folder = await tinySeededModel(7);
  for (const [relative, bytes] of folder.files) {
    await mkdir(path.dirname(path.join(modelDir, relative)), { recursive: true });
    await writeFile(path.join(modelDir, relative), bytes);
  }

  corpus = path.join(root, 'corpus');
  await mkdir(path.join(corpus, 'nested'), { recursive: true });
  await writeFile(
    path.join(corpus, 'essay.txt'),
    ['Cells', 'Proteins', 'Enzymes'].map(paragraph).join('\n\n'),
  );
  await writeFile(
    path.join(corpus, 'nested', 'claims.jsonl'),
    ['Aspirin lowers fever.', 'Vitamin D helps bones.', 'Sleep improves memory.', '   ']
      .map((text, i) => JSON.stringify({ _id: `c${i}`, text }))
      .join('\n'),
  );
  await writeFile(
    path.join(corpus, 'table.csv'),
    'id,text\nr1,Short row of text\nr2,"A longer row, with a comma, that still fits."\n',
  );
  await writeFile(path.join(corpus, 'nested', 'broken.jsonl'), '{not json\n{"also": broken\n');
  await writeFile(path.join(corpus, 'picture.png'), new Uint8Array([137, 80, 78, 71]));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Captured {
  code: number;
  stdout: string[];
  stderr: string[];
}

async function lumina(...argv: string[]): Promise<Captured> {
  const { io, out: stdout, err: stderr } = captureIo();
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

describe('lumina embed', () => {
  it('embeds a folder into a bundle, reports bad files and ends with one JSON line', async () => {
    const out = path.join(root, 'run.lumina');
    const run = await lumina('embed', corpus, '--model', modelDir, '--out', out, ...SETTINGS);
    expect(run.stderr.join('\n')).not.toMatch(/lumina embed:/);
    expect(run.code).toBe(0);
    expect(run.stdout).toHaveLength(1);
    const report = JSON.parse(run.stdout[0] ?? '') as EmbedReport;

    const bundle = await readBundle(new Uint8Array(await readFile(out)));
    expect(report).toMatchObject({
      documents: bundle.documents.length,
      chunks: bundle.chunks.length,
      device: 'cpu',
      out,
      resumedChunks: 0,
    });
    // 1 essay + 3 non-blank claims + 2 rows; ingestion drops the blank claim.
    expect(bundle.documents).toHaveLength(6);
    expect(bundle.manifest.missingDocEmbeddings).toEqual([]);
    expect(bundle.chunks.length).toBeGreaterThan(6);
    expect(report.tokens).toBeGreaterThan(bundle.chunks.length * 2);
    expect(report.tokensPerSecond).toBeGreaterThan(0);
    expect(bundle.manifest.model).toMatchObject({
      id: 'tiny-bert',
      dims: 32,
      pooling: 'mean',
      normalize: true,
      dtype: 'fp32',
    });
    expect(bundle.manifest.model.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(bundle.manifest.chunking).toMatchObject({ chunkTokens: 16, overlapTokens: 4 });
    expect(new Set(bundle.chunks.map((c) => c.source))).toEqual(
      new Set([`${corpus}/essay.txt`, `${corpus}/nested/claims.jsonl`, `${corpus}/table.csv`]),
    );

    const model = await EmbeddingModel.load(
      { kind: 'files', files: new Map(await readModel()), name: 'tiny-bert' },
      { device: 'wasm' },
    );
    try {
      const expected = await model.embed(
        bundle.chunks.map((c) => c.text),
        'document',
      );
      expect(maxAbsDiff(bundle.embeddings, expected)).toBeLessThanOrEqual(1e-5);
    } finally {
      await model.dispose();
    }

    const log = run.stderr.join('\n');
    expect(log).toContain(`${corpus}/nested/broken.jsonl: skipped`);
    expect(log).toMatch(/ {2}error: line 1 is not valid JSON/);
    expect(log).not.toContain('picture.png');
    expect(log).toContain(`${corpus}/nested/claims.jsonl\n`);
    expect(log).toMatch(/ {2}warning: .*empty text/);
    await expect(stat(`${out}.partial`)).rejects.toThrow();
  });

  it('resumes an interrupted run and writes the same bytes as an uninterrupted one', async () => {
    const whole = path.join(root, 'whole.lumina');
    const options = (out: string) =>
      parseEmbedArgs([corpus, '--model', modelDir, '--out', out, ...SETTINGS]);
    await embed(options(whole), captureIo().io, { created: CREATED });

    const resumed = path.join(root, 'resumed.lumina');
    const controller = new AbortController();
    const error = await embed(options(resumed), captureIo().io, {
      created: CREATED,
      signal: controller.signal,
      onBatch: (done) => {
        if (done === 2) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    await expect(stat(resumed)).rejects.toThrow();
    // A crash mid-append: half a vector row and half a done line past the last full batch.
    const partial = `${resumed}.partial`;
    await appendFile(path.join(partial, 'vectors.f32'), new Uint8Array(70));
    await appendFile(path.join(partial, 'done.jsonl'), '{"batch":');

    const second = captureIo();
    const report = await embed(options(resumed), second.io, { created: '2030-01-01T00:00:00Z' });
    expect(second.err.join('\n')).toMatch(/resuming .* \(2\/\d+ batches done\)/);
    expect(report.resumedChunks).toBeGreaterThan(0);
    expect(report.resumedChunks).toBeLessThan(report.chunks);
    const [a, b] = await Promise.all([readFile(whole), readFile(resumed)]);
    expect(Buffer.compare(a, b)).toBe(0);
    await expect(stat(partial)).rejects.toThrow();
  });

  it('starts over when an input changed since the interrupted run', async () => {
    const dir = path.join(root, 'changing');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'a.txt'), paragraph('Bacteria'));
    const out = path.join(root, 'changing.lumina');
    const options = parseEmbedArgs([dir, '--model', modelDir, '--out', out, ...SETTINGS]);
    const controller = new AbortController();
    await embed(options, captureIo().io, {
      signal: controller.signal,
      onBatch: () => controller.abort(),
    }).catch(() => undefined);
    await writeFile(path.join(dir, 'a.txt'), paragraph('Viruses'));
    const second = captureIo();
    const report = await embed(options, second.io);
    expect(report.resumedChunks).toBe(0);
    expect(second.err.join('\n')).not.toMatch(/resuming/);
    const bundle = await readBundle(new Uint8Array(await readFile(out)));
    expect(bundle.chunks.map((c) => c.text).join(' ')).toContain('Viruses');
  });

  it('refuses webgpu and bad options with a usage error', async () => {
    const out = path.join(root, 'gpu.lumina');
    const gpu = await lumina(
      'embed',
      corpus,
      '--model',
      modelDir,
      '--out',
      out,
      '--device',
      'webgpu',
    );
    expect(gpu.code).toBe(2);
    expect(gpu.stderr.join('\n')).toMatch(/not available in the CLI/);
    const missing = await lumina('embed', corpus, '--out', out);
    expect(missing.code).toBe(2);
    expect(missing.stderr.join('\n')).toMatch(/--model is required/);
  });
});

async function readModel(): Promise<[string, Uint8Array][]> {
  const names = [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'onnx/model.onnx',
    'modules.json',
    'sentence_bert_config.json',
    '1_Pooling/config.json',
  ];
  const files: [string, Uint8Array][] = [];
  for (const name of names) {
    const bytes = await readFile(path.join(modelDir, name)).catch(() => undefined);
    if (bytes) files.push([name, new Uint8Array(bytes)]);
  }
  return files;
}
