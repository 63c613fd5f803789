import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { chromiumArgs, chromiumPath } from '../../tests/support/chromium.ts';
import { useBackend } from '../../src/core/train/bert/backend.ts';
import { mlmTokenizerFromJson } from '../../src/core/train/data/index.ts';
import { formatTable, freePort } from '../shared.ts';
import type { LuminaTrainBench } from './bench.ts';
import {
  SHAPES,
  type ShapeName,
  type SpeedBackend,
  type SpeedRequest,
  type SpeedResult,
} from './protocol.ts';
import {
  evaluateWeights,
  loadQualityCorpus,
  pretrain,
  sequencesOf,
  trainBenchTokenizer,
  trainingData,
  wikitextParagraphs,
  type MlmEvaluation,
} from './quality.ts';
import { measureSpeed, parameterCount, shapeConfig } from './speed.ts';

/**
 * `npm run bench:train`: MLM training tokens/s of the app's training loop on the webgpu, wasm and
 * cpu TF.js backends in headless Chromium (and optionally in Node) for a small and a
 * MiniLM-L6-shaped BERT, as ratios to the cpu backend of the same run; then a quality line: a small
 * model pretrained on WikiText-2 valid + SciFact, scored on WikiText-2 test against its untrained
 * initial weights.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const datasets = path.join(repoRoot, '..', 'shared', 'datasets');
const miniLmTokenizer = path.join(
  repoRoot,
  '..',
  'shared',
  'models',
  'all-MiniLM-L6-v2',
  'tokenizer.json',
);
const BACKENDS: readonly SpeedBackend[] = ['webgpu', 'wasm', 'cpu'];

interface Options {
  only: 'speed' | 'quality' | null;
  shapes: ShapeName[];
  backends: SpeedBackend[];
  node: boolean;
  steps: number;
  warmup: number;
  batch: number;
  vocab: number;
  minutes: number;
  qualitySteps: number | null;
  qualityBatch: number;
  qualityBackend: 'wasm' | 'cpu';
  testSequences: number | null;
  learningRate: number;
  seed: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      only: { type: 'string' },
      shapes: { type: 'string', default: 'small,minilm' },
      backends: { type: 'string', default: 'webgpu,wasm,cpu' },
      node: { type: 'boolean', default: false },
      steps: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      batch: { type: 'string', default: '8' },
      vocab: { type: 'string', default: '8000' },
      minutes: { type: 'string', default: '7' },
      'quality-steps': { type: 'string' },
      'quality-batch': { type: 'string', default: '16' },
      'quality-backend': { type: 'string', default: 'wasm' },
      'test-sequences': { type: 'string' },
      lr: { type: 'string', default: '0.001' },
      seed: { type: 'string', default: '1' },
    },
  });
  const int = (name: string, text: string | undefined, min = 1): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`--${name} must be an integer ≥ ${min}`);
    return value;
  };
  const positive = (name: string, text: string | undefined): number => {
    const value = Number(text);
    if (!(value > 0)) throw new Error(`--${name} must be a number > 0`);
    return value;
  };
  const list = <T extends string>(name: string, text: string, allowed: readonly T[]): T[] => {
    const items = text
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    for (const item of items) {
      if (!allowed.includes(item as T))
        throw new Error(`--${name}: ${item} is not one of ${allowed.join(', ')}`);
    }
    return items as T[];
  };
  const only = values.only ?? null;
  if (only !== null && only !== 'speed' && only !== 'quality')
    throw new Error('--only must be speed or quality');
  const qualityBackend = values['quality-backend'];
  if (qualityBackend !== 'wasm' && qualityBackend !== 'cpu')
    throw new Error('--quality-backend must be wasm or cpu (Node has no webgpu)');
  return {
    only,
    shapes: list('shapes', values.shapes, ['small', 'minilm'] as const),
    backends: list('backends', values.backends, BACKENDS),
    node: values.node,
    steps: int('steps', values.steps),
    warmup: int('warmup', values.warmup, 0),
    batch: int('batch', values.batch),
    vocab: int('vocab', values.vocab, 100),
    minutes: positive('minutes', values.minutes),
    qualitySteps:
      values['quality-steps'] === undefined ? null : int('quality-steps', values['quality-steps']),
    qualityBatch: int('quality-batch', values['quality-batch']),
    qualityBackend,
    testSequences:
      values['test-sequences'] === undefined
        ? null
        : int('test-sequences', values['test-sequences']),
    learningRate: positive('lr', values.lr),
    seed: int('seed', values.seed, 0),
  };
}

function log(message: string): void {
  console.error(`[bench:train] ${message}`);
}

/** Tokens/s with about three significant figures: 0.62, 27.9, 1,148. */
const rate = (value: number): string => fmt(value, value < 10 ? 2 : value < 100 ? 1 : 0);

const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---------------------------------------------------------------- speed

interface SpeedRow {
  shape: ShapeName;
  runtime: 'Chromium' | 'Node';
  result: SpeedResult;
}

/** The shape's tokenizer: a WordPiece of `--vocab` trained on WikiText-2 valid, or MiniLM's. */
async function shapeTokenizerJson(
  shape: ShapeName,
  options: Options,
  valid: string[],
): Promise<string> {
  if (shape === 'minilm') return readFile(miniLmTokenizer, 'utf8');
  const trained = await trainBenchTokenizer(valid, [], options.vocab);
  log(
    `small: WordPiece tokenizer of ${options.vocab} trained on WikiText-2 valid in ${trained.seconds.toFixed(1)} s`,
  );
  return trained.tokenizerJson;
}

async function speedRequest(
  shape: ShapeName,
  backend: SpeedBackend,
  options: Options,
  tokenizerJson: string,
  valid: string[],
): Promise<SpeedRequest> {
  const tokenizer = mlmTokenizerFromJson(JSON.parse(tokenizerJson));
  const needed = options.batch * (options.warmup + options.steps);
  const seqLen = SHAPES[shape].seqLen;
  // Enough paragraphs for the full sequences needed (the last, padded one is dropped).
  const texts: string[] = [];
  let chars = 0;
  for (const text of valid) {
    texts.push(text);
    chars += text.length;
    if (chars > needed * seqLen * 8) break;
  }
  const all = await sequencesOf(texts, tokenizer, seqLen);
  if (all.inputIds.length - 1 < needed)
    throw new Error(`only ${all.inputIds.length - 1} full sequences for ${needed}`);
  const sequences = {
    seqLen,
    inputIds: all.inputIds.slice(0, needed),
    attentionMask: all.attentionMask.slice(0, needed),
    tokens: needed * seqLen,
  };
  return {
    shape,
    backend,
    batch: options.batch,
    warmupSteps: options.warmup,
    steps: options.steps,
    seed: options.seed,
    tokenizerJson,
    sequences,
  };
}

async function startVite(): Promise<{ server: ViteDevServer; port: number }> {
  const port = await freePort();
  const server = await createServer({
    root: repoRoot,
    configFile: path.join(repoRoot, 'vite.config.ts'),
    logLevel: 'warn',
    // No HMR: an edit anywhere in the shared checkout must not reload the page mid-measurement.
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false },
  });
  await server.listen();
  return { server, port };
}

/** One measurement in a fresh browser context (its own page, tf.js and wasm/GPU state). */
async function browserSpeed(
  browser: Browser,
  port: number,
  request: SpeedRequest,
): Promise<SpeedResult> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.text().startsWith('[bench:train]') && /Step \d+ of/.test(message.text()))
        log(`${request.shape} Chromium ${message.text().slice(14)}`);
    });
    page.on('pageerror', (error) => log(`page error: ${error.message}`));
    await page.goto(`http://127.0.0.1:${port}/bench/train/index.html`);
    await page.waitForFunction(() => 'luminaTrainBench' in globalThis, null, { timeout: 120_000 });
    const isolated = await page.evaluate(
      () =>
        (globalThis as unknown as { luminaTrainBench: LuminaTrainBench }).luminaTrainBench
          .crossOriginIsolated,
    );
    if (!isolated) log('warning: the page is not cross-origin isolated (no wasm threads)');
    return await page.evaluate(
      (req) =>
        (globalThis as unknown as { luminaTrainBench: LuminaTrainBench }).luminaTrainBench.run(req),
      request,
    );
  } finally {
    await context.close();
  }
}

async function runSpeed(options: Options): Promise<SpeedRow[]> {
  const valid = wikitextParagraphs(
    await readFile(path.join(datasets, 'wikitext-2', 'valid.txt'), 'utf8'),
  );
  const rows: SpeedRow[] = [];
  let vite: { server: ViteDevServer; port: number } | null = null;
  let browser: Browser | null = null;
  try {
    if (options.backends.length > 0) {
      vite = await startVite();
      browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs() });
    }
    for (const shape of options.shapes) {
      const tokenizerJson = await shapeTokenizerJson(shape, options, valid);
      if (browser && vite) {
        for (const backend of options.backends) {
          log(
            `${shape} Chromium ${backend}: ${options.warmup} warm-up + ${options.steps} measured steps of ${options.batch} × ${SHAPES[shape].seqLen}`,
          );
          const request = await speedRequest(shape, backend, options, tokenizerJson, valid);
          const result = await browserSpeed(browser, vite.port, request);
          log(`${shape} Chromium ${backend}: ${fmt(result.medianTokensPerSecond)} tokens/s`);
          rows.push({ shape, runtime: 'Chromium', result });
        }
      }
      if (options.node) {
        for (const backend of ['wasm', 'cpu'] as const) {
          log(
            `${shape} Node ${backend}: ${options.warmup} warm-up + ${options.steps} measured steps`,
          );
          const request = await speedRequest(shape, backend, options, tokenizerJson, valid);
          const result = await measureSpeed(request);
          log(`${shape} Node ${backend}: ${fmt(result.medianTokensPerSecond)} tokens/s`);
          rows.push({ shape, runtime: 'Node', result });
        }
      }
    }
  } finally {
    await browser?.close();
    await vite?.server.close();
  }
  return rows;
}

function adapterLabel(row: SpeedRow): string {
  const { backend, detail } = row.result;
  if (backend !== 'webgpu') return detail;
  const software = /swiftshader|llvmpipe|software|cpu/i.test(detail);
  return `${detail || 'adapter'}${software ? ' — software adapter: not a GPU figure' : ''}`;
}

function reportSpeed(rows: SpeedRow[], options: Options): void {
  const table = rows.map((row) => {
    const cpu = rows.find(
      (other) =>
        other.shape === row.shape &&
        other.runtime === row.runtime &&
        other.result.backend === 'cpu',
    );
    const tps = row.result.stepTokensPerSecond;
    return [
      `${row.shape} (${(row.result.parameters / 1e6).toFixed(2)} M params)`,
      row.runtime,
      row.result.backend,
      adapterLabel(row),
      `${options.batch} × ${SHAPES[row.shape].seqLen}`,
      rate(row.result.medianTokensPerSecond),
      `${rate(Math.min(...tps))}–${rate(Math.max(...tps))}`,
      cpu
        ? `${(row.result.medianTokensPerSecond / cpu.result.medianTokensPerSecond).toFixed(2)}×`
        : '—',
    ];
  });
  console.log(
    `\nMLM training speed (trainMlm: 15 % masking, forward, backward, clipping, AdamW), ` +
      `median of ${options.steps} steps after ${options.warmup} warm-up steps, fp32; ` +
      `machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), load average ${os.loadavg()[0]?.toFixed(2)}`,
  );
  console.log(
    formatTable(
      [
        'shape',
        'runtime',
        'backend',
        'detail',
        'batch × seq',
        'tokens/s (median)',
        'min–max',
        'vs cpu (same runtime)',
      ],
      table,
    ),
  );
  for (const shape of options.shapes) {
    const s = SHAPES[shape];
    console.log(
      `${shape}: d_model ${s.dModel}, ${s.layers} layers, ${s.heads} heads, d_ff ${s.dFf}, seq ${s.seqLen}, vocab ` +
        (shape === 'minilm'
          ? 'MiniLM-L6 (30,522, all-MiniLM-L6-v2 tokenizer.json)'
          : `${fmt(options.vocab)} (WordPiece trained on WikiText-2 valid)`),
    );
  }
}

// ---------------------------------------------------------------- quality

async function runQuality(options: Options): Promise<void> {
  const started = performance.now();
  const corpus = await loadQualityCorpus(datasets);
  log(
    `quality: ${corpus.train.length} training documents (${corpus.wikitextValidParagraphs} WikiText-2 valid paragraphs + ${corpus.scifactAbstracts} SciFact abstracts), ${corpus.test.length} WikiText-2 test paragraphs`,
  );
  const trained = await trainBenchTokenizer(corpus.train, corpus.test, options.vocab);
  log(`quality: WordPiece tokenizer trained in ${trained.seconds.toFixed(1)} s`);
  const { tokenizer } = trained;
  const config = shapeConfig('small', options.qualityBatch, options.seed);
  Object.assign(config.training, {
    learning_rate: options.learningRate,
    backend: options.qualityBackend,
    warmup_ratio: 0.06,
    schedule: 'linear',
  });
  const seqLen = config.data.seq_len;
  const train = await sequencesOf(corpus.train, tokenizer, seqLen);
  const allTest = await sequencesOf(corpus.test, tokenizer, seqLen);
  // --test-sequences keeps the first N sequences of the test set (a quicker, smaller score).
  const test =
    options.testSequences === null
      ? allTest
      : {
          ...allTest,
          inputIds: allTest.inputIds.slice(0, options.testSequences),
          attentionMask: allTest.attentionMask.slice(0, options.testSequences),
          tokens: allTest.attentionMask
            .slice(0, options.testSequences)
            .reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0),
        };
  log(
    `quality: ${fmt(train.inputIds.length)} training sequences (${fmt(train.tokens)} tokens), ${fmt(test.inputIds.length)} test sequences (${fmt(test.tokens)} tokens)`,
  );
  const backend = await useBackend(options.qualityBackend);
  const data = trainingData(train);

  const baseline = await evaluateWeights(config, tokenizer, undefined, test, options.seed);
  log(
    `quality: untrained model: accuracy ${baseline.accuracy.toFixed(4)}, perplexity ${fmt(baseline.perplexity, 1)}`,
  );

  let maxSteps = options.qualitySteps;
  let probeNote = '';
  if (maxSteps === null) {
    // A few steps time the machine as it is now; the run gets as many steps as fit the budget, so
    // the schedule's warm-up and decay span the whole run.
    const probe = await pretrain(
      config,
      tokenizer,
      data,
      4,
      new AbortController().signal,
      () => {},
    );
    const stepSeconds = probe.trainSeconds / probe.steps;
    maxSteps = Math.max(1, Math.floor((options.minutes * 60) / stepSeconds));
    probeNote = `, ${maxSteps} steps from a 4-step probe at ${stepSeconds.toFixed(2)} s/step`;
    log(`quality: ${options.minutes} min budget${probeNote}`);
  }
  // Hard stop at 1.25 × the budget in case the machine got slower than the probe.
  const deadline = AbortSignal.timeout(options.minutes * 60_000 * 1.25);
  const run = await pretrain(config, tokenizer, data, maxSteps, deadline, (message) =>
    log(`quality: ${message}`),
  );
  const after = await evaluateWeights(config, tokenizer, run.mlmSafetensors, test, options.seed);

  const line = (name: string, e: MlmEvaluation): string[] => [
    name,
    e.accuracy.toFixed(4),
    fmt(e.perplexity, 2),
    e.loss.toFixed(4),
    fmt(e.masked),
  ];
  console.log(
    `\nMLM quality on WikiText-2 test (${fmt(test.inputIds.length)} sequences of ${seqLen}, fixed-seed 15 % / 80-10-10 masking, seed ${options.seed})`,
  );
  console.log(
    formatTable(
      ['model', 'masked-token accuracy', 'perplexity', 'loss', 'masked tokens'],
      [
        line('untrained (initial weights, same seed)', baseline),
        line(`pretrained, ${run.steps} steps`, after),
      ],
    ),
  );
  const m = config.model;
  const coverage = trained.coverage;
  console.log(
    [
      `recipe: corpus WikiText-2 valid (${corpus.wikitextValidParagraphs} paragraphs, headings dropped) + SciFact corpus (${corpus.scifactAbstracts} abstracts, title + text), ${fmt(corpus.trainChars)} characters;`,
      `  tokenizer WordPiece ${fmt(tokenizer.vocabSize)} (lowercased) trained on that corpus in ${trained.seconds.toFixed(1)} s` +
        (coverage
          ? `; on WikiText-2 test: unknown rate ${(coverage.unknownRate * 100).toPrecision(2)} %, ` +
            `${coverage.tokensPerWord.toFixed(2)} tokens/word`
          : '') +
        ';',
      `  model BERT d_model ${m.d_model}, ${m.n_layers} layers, ${m.n_heads} heads, d_ff ${m.d_ff}, seq ${seqLen}, ${(parameterCount(config, tokenizer.vocabSize) / 1e6).toFixed(2)} M params, dropout ${m.dropout};`,
      `  training ${fmt(train.inputIds.length)} packed sequences (${fmt(train.tokens)} tokens); batch ${options.qualityBatch}, AdamW lr ${options.learningRate} (6 % warm-up, linear decay), weight decay ${config.training.weight_decay}, clip ${config.training.max_grad_norm}, seed ${options.seed};`,
      `  ran ${run.steps} steps (${run.status}), ${fmt(run.tokens)} tokens (${(run.tokens / train.tokens).toFixed(2)} epochs), ${(run.trainSeconds / 60).toFixed(2)} min of steps, ${(run.wallSeconds / 60).toFixed(2)} min wall, ${fmt(run.tokens / run.trainSeconds)} tokens/s;`,
      `  backend Node ${backend.name} (${backend.detail}); budget --minutes ${options.minutes}${probeNote}; whole quality run ${((performance.now() - started) / 60000).toFixed(2)} min.`,
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const options = parseOptions();
  console.log(
    `bench:train on ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (options.only !== 'quality') reportSpeed(await runSpeed(options), options);
  if (options.only !== 'speed') await runQuality(options);
}

await main();
