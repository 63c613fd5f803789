import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { modelInit } from '../../src/cli/model-init.ts';
import { chromiumArgs, chromiumPath } from '../../tests/support/chromium.ts';
import type { LuminaBench } from './bench.ts';
import { formatTable, freePort, vmHwmBytes } from '../shared.ts';
import { buildCorpus } from './corpus.ts';
import { runMemoryBench, type MemoryRow } from './memory.ts';
import type { NativeBenchRequest, NativeBenchResult } from './native.ts';
import {
  base64ToFloat32,
  type BenchRun,
  type BrowserBenchRequest,
  type BrowserBenchResult,
  type BrowserEngine,
} from './protocol.ts';

/**
 * `npm run bench:embed`: Lumina's engine vs plain transformers.js pipeline (both in a worker in
 * headless Chromium on WASM) vs onnxruntime-node, on the same seeded MiniLM-shaped model and a
 * length-skewed corpus. Prints one table, the targets and an output parity check.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const sharedDir = path.resolve(repoRoot, '../shared');
const MODEL_NAME = 'bench-minilm';
const PARITY_TOLERANCE = 1e-4;
/**
 * The memory table measures the job, not the model: a tiny model with the MiniLM tokenizer keeps
 * the runs short while the corpus sizes differ by `--memory-factor`.
 */
const TINY_MODEL_NAME = 'bench-tiny';
const MEMORY_MAX_TOKENS = 128;
const MEMORY_DOC_CHARS = 4000;
const MEMORY_CHUNK_WORDS = 48;

interface Options {
  texts: number;
  threads: number;
  tokenBudget: number;
  pipelineBatch: number;
  maxTokens: number;
  seed: number;
  /** Also run Lumina on ORT's plain (non-asyncify) wasm build. */
  compareBuilds: boolean;
  /** Which parts to run: the speed table, the memory table, or both. */
  only: 'all' | 'speed' | 'memory';
  memoryDocs: number;
  memoryFactor: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      texts: { type: 'string', default: '2000' },
      threads: { type: 'string', default: String(Math.min(4, os.availableParallelism())) },
      budget: { type: 'string', default: '4096' },
      batch: { type: 'string', default: '32' },
      'max-tokens': { type: 'string', default: '256' },
      seed: { type: 'string', default: '1' },
      'compare-builds': { type: 'boolean', default: false },
      only: { type: 'string', default: 'all' },
      'memory-docs': { type: 'string', default: '1000' },
      'memory-factor': { type: 'string', default: '4' },
    },
  });
  const int = (name: string, text: string | undefined): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  return {
    texts: int('texts', values.texts),
    threads: int('threads', values.threads),
    tokenBudget: int('budget', values.budget),
    pipelineBatch: int('batch', values.batch),
    maxTokens: int('max-tokens', values['max-tokens']),
    seed: int('seed', values.seed),
    compareBuilds: values['compare-builds'] === true,
    only: parseOnly(values.only),
    memoryDocs: int('memory-docs', values['memory-docs']),
    memoryFactor: int('memory-factor', values['memory-factor']),
  };
}

function parseOnly(value: string | undefined): Options['only'] {
  if (value === 'all' || value === 'speed' || value === 'memory') return value;
  throw new Error('--only must be all, speed or memory');
}

interface EngineRow {
  engine: string;
  run: BenchRun;
  peakMemoryBytes: number;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const work = await mkdtemp(path.join(os.tmpdir(), 'lumina-bench-'));
  let server: ViteDevServer | null = null;
  try {
    log(`building the seeded MiniLM-shaped model (seed ${options.seed})`);
    const modelsDir = path.join(work, 'models');
    const modelDir = path.join(modelsDir, MODEL_NAME);
    await modelInit({
      config: path.join(sharedDir, 'models/all-MiniLM-L6-v2/config.json'),
      tokenizer: path.join(sharedDir, 'models/all-MiniLM-L6-v2'),
      seed: options.seed,
      out: modelDir,
      pooler: true,
      maxSeqLength: options.maxTokens,
    });
    await modelInit({
      config: await writeTinyConfig(work),
      tokenizer: path.join(sharedDir, 'models/all-MiniLM-L6-v2'),
      seed: options.seed,
      out: path.join(modelsDir, TINY_MODEL_NAME),
      pooler: false,
      maxSeqLength: MEMORY_MAX_TOKENS,
    });
    const texts = await buildCorpus({
      sharedDir,
      texts: options.texts,
      seed: options.seed,
      maxTokens: options.maxTokens,
    });

    process.env['LUMINA_MODELS_DIR'] = modelsDir;
    const port = await freePort();
    server = await createServer({
      root: repoRoot,
      configFile: path.join(repoRoot, 'vite.config.ts'),
      logLevel: 'warn',
      server: { host: '127.0.0.1', port, strictPort: true },
    });
    await server.listen();
    const url = `http://127.0.0.1:${port}/bench/embed/index.html`;

    if (options.only !== 'memory') await runSpeed(url, work, modelDir, texts, options);
    if (options.only !== 'speed') {
      const rows = await runMemoryBench(
        url,
        {
          documents: options.memoryDocs,
          factor: options.memoryFactor,
          documentChars: MEMORY_DOC_CHARS,
          chunkWords: MEMORY_CHUNK_WORDS,
          modelName: TINY_MODEL_NAME,
          threads: options.threads,
          maxTokens: MEMORY_MAX_TOKENS,
          tokenBudget: options.tokenBudget,
          seed: options.seed,
        },
        log,
      );
      reportMemory(rows);
    }
  } finally {
    await server?.close();
    await rm(work, { recursive: true, force: true });
  }
}

async function runSpeed(
  url: string,
  work: string,
  modelDir: string,
  texts: string[],
  options: Options,
): Promise<void> {
  const request = (engine: BrowserEngine): BrowserBenchRequest => ({
    engine,
    modelName: MODEL_NAME,
    texts,
    threads: options.threads,
    maxTokens: options.maxTokens,
    tokenBudget: options.tokenBudget,
    pipelineBatch: options.pipelineBatch,
  });
  await primeVite(url, [
    request('pipeline'),
    request('lumina'),
    ...(options.compareBuilds ? [request('lumina-plain')] : []),
  ]);
  log(`plain pipeline: ${texts.length} texts, batches of ${options.pipelineBatch}`);
  const pipeline = await runInBrowser(url, request('pipeline'));
  log(`Lumina engine: token budget ${options.tokenBudget}`);
  const lumina = await runInBrowser(url, request('lumina'));
  let luminaPlain: EngineRow | undefined;
  if (options.compareBuilds) {
    log('Lumina engine on the plain wasm build');
    luminaPlain = await runInBrowser(url, request('lumina-plain'));
  }
  log('bare onnxruntime-web with Lumina’s batches');
  const ortWebRow = await runInBrowser(url, {
    ...request('ort-web'),
    batches: lumina.run.batches,
  });
  log('onnxruntime-node with Lumina’s batches');
  const native = await runNative(work, {
    modelDir,
    texts,
    batches: lumina.run.batches,
    threads: options.threads,
    maxTokens: options.maxTokens,
  });

  for (const row of [pipeline, lumina, ortWebRow, ...(luminaPlain ? [luminaPlain] : [])]) {
    const result = row.run as BrowserBenchResult;
    if (!result.crossOriginIsolated)
      throw new Error('The bench page was not cross-origin isolated');
  }
  report(options, texts.length, { lumina, pipeline, native, ortWeb: ortWebRow, luminaPlain });
}

/**
 * Runs both engines once on a few texts in a throwaway browser. Vite optimises dependencies it
 * discovers on first use and then reloads the page, which would kill a measured run midway.
 */
async function primeVite(url: string, requests: BrowserBenchRequest[]): Promise<void> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs() });
  try {
    const page = await browser.newPage();
    for (let attempt = 1; ; attempt++) {
      try {
        await openBench(page, url);
        for (const request of requests) {
          await page.evaluate(
            (req) => (globalThis as unknown as { luminaBench: LuminaBench }).luminaBench.run(req),
            { ...request, texts: request.texts.slice(0, 8) },
          );
        }
        return;
      } catch (error) {
        if (attempt >= 3) throw error;
        log(`priming again after: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } finally {
    await browser.close();
  }
}

async function openBench(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => 'luminaBench' in globalThis, null, { timeout: 60_000 });
}

async function runInBrowser(url: string, request: BrowserBenchRequest): Promise<EngineRow> {
  // A fresh browser per engine, so each peak memory is that engine's alone.
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs() });
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => log(`page error: ${error.message}`));
    await openBench(page, url);
    const run = await page.evaluate(
      (req) => (globalThis as unknown as { luminaBench: LuminaBench }).luminaBench.run(req),
      request,
    );
    const peakMemoryBytes = await rendererPeakRss(browser);
    const name = {
      lumina: 'Lumina (wasm)',
      'lumina-plain': 'Lumina (wasm, plain build)',
      pipeline: 'pipeline() ×32 (wasm)',
      'ort-web': 'bare onnxruntime-web (wasm)',
    }[request.engine];
    return { engine: name, run, peakMemoryBytes };
  } finally {
    await browser.close();
  }
}

/**
 * Peak resident memory of the renderer processes (the page and its worker live there): CDP
 * SystemInfo.getProcessInfo names them, /proc/<pid>/status VmHWM holds each one's high-water mark.
 */
async function rendererPeakRss(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  const info = (await cdp.send('SystemInfo.getProcessInfo')) as {
    processInfo: { type: string; id: number }[];
  };
  let peak = 0;
  for (const process of info.processInfo.filter((p) => p.type === 'renderer')) {
    peak = Math.max(peak, await vmHwmBytes(process.id));
  }
  return peak;
}

async function runNative(work: string, request: NativeBenchRequest): Promise<EngineRow> {
  const requestFile = path.join(work, 'native-request.json');
  const resultFile = path.join(work, 'native-result.json');
  await writeFile(requestFile, JSON.stringify(request));
  const script = fileURLToPath(new URL('./native.ts', import.meta.url));
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, requestFile, resultFile], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`native bench exited with ${code}`)),
    );
  });
  const result = JSON.parse(await readFile(resultFile, 'utf8')) as NativeBenchResult;
  return { engine: 'onnxruntime-node', run: result, peakMemoryBytes: result.peakRssBytes };
}

function report(
  options: Options,
  textCount: number,
  rows: {
    lumina: EngineRow;
    pipeline: EngineRow;
    native: EngineRow;
    ortWeb: EngineRow;
    luminaPlain: EngineRow | undefined;
  },
): void {
  const rate = (row: EngineRow): number => row.run.realTokens / row.run.seconds;
  const vsPipeline = (row: EngineRow): number => rate(row) / rate(rows.pipeline);
  const vsNative = (row: EngineRow): number => rate(row) / rate(rows.native);
  const ordered = [
    rows.lumina,
    ...(rows.luminaPlain ? [rows.luminaPlain] : []),
    rows.pipeline,
    rows.ortWeb,
    rows.native,
  ];
  const table = ordered.map((row) => [
    row.engine,
    String(textCount),
    String(row.run.realTokens),
    String(row.run.paddedTokens),
    row.run.seconds.toFixed(2),
    rate(row).toFixed(0),
    `${vsPipeline(row).toFixed(2)}×`,
    `${vsNative(row).toFixed(2)}×`,
    `${(row.peakMemoryBytes / 2 ** 20).toFixed(0)} MiB`,
  ]);
  const header = [
    'engine',
    'texts',
    'real tokens',
    'padded tokens',
    'seconds',
    'tokens/s',
    'vs pipeline',
    'vs native',
    'peak memory',
  ];
  console.log(
    `\nMiniLM-shaped seeded model (6 layers, hidden 384, 12 heads), fp32, ${options.threads} thread(s), ` +
      `max ${options.maxTokens} tokens, Lumina token budget ${options.tokenBudget}, ` +
      `pipeline batches of ${options.pipelineBatch}`,
  );
  console.log(formatTable(header, table));
  console.log(
    'peak memory: browser rows = VmHWM (peak RSS) of the Chromium renderer process running the ' +
      'page and its worker (pids from CDP SystemInfo.getProcessInfo); native = maxRSS of its Node process',
  );

  const speedup = vsPipeline(rows.lumina);
  const share = vsNative(rows.lumina);
  console.log(
    `target Lumina ≥ 2.0× plain pipeline: ${speedup.toFixed(2)}× — ${speedup >= 2 ? 'MET' : 'NOT MET'}`,
  );
  console.log(
    `target Lumina ≥ 0.5× native:         ${share.toFixed(2)}× — ${share >= 0.5 ? 'MET' : 'NOT MET'}`,
  );
  console.log(
    `ceiling: bare onnxruntime-web on the same batches reaches ${vsNative(rows.ortWeb).toFixed(2)}× native; ` +
      `Lumina reaches ${(rate(rows.lumina) / rate(rows.ortWeb)).toFixed(2)}× of that ceiling`,
  );
  const lumina = base64ToFloat32(rows.lumina.run.embeddings);
  const checks: [string, EngineRow][] = [
    ['plain pipeline', rows.pipeline],
    ['bare onnxruntime-web', rows.ortWeb],
    ['onnxruntime-node', rows.native],
  ];
  for (const [name, row] of checks) {
    const diff = maxAbsDiff(lumina, base64ToFloat32(row.run.embeddings));
    console.log(
      `output: max |Lumina − ${name}| = ${diff.toExponential(2)} (≤ ${PARITY_TOLERANCE}: ${diff <= PARITY_TOLERANCE ? 'MET' : 'NOT MET'})`,
    );
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

function log(message: string): void {
  console.error(`[bench:embed] ${message}`);
}

await main();

/** MiniLM's config shrunk to 2 layers of width 64: same tokenizer and vocabulary. */
async function writeTinyConfig(work: string): Promise<string> {
  const config = JSON.parse(
    await readFile(path.join(sharedDir, 'models/all-MiniLM-L6-v2/config.json'), 'utf8'),
  ) as Record<string, unknown>;
  const file = path.join(work, 'tiny-config.json');
  await writeFile(
    file,
    JSON.stringify({
      ...config,
      num_hidden_layers: 2,
      hidden_size: 64,
      num_attention_heads: 4,
      intermediate_size: 128,
    }),
  );
  return file;
}

function reportMemory(rows: MemoryRow[]): void {
  const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  const table = rows.map((row) => [
    String(row.seeded.documents),
    `${(row.seeded.textChars / 1e6).toFixed(1)} M`,
    String(row.embedded.chunks),
    String(row.embedded.tokens),
    row.embedded.seconds.toFixed(1),
    mib(row.peakBytes),
  ]);
  console.log(
    '\nMemory of the resumable embed job (texts streamed from IndexedDB; tiny 2-layer model, wasm)',
  );
  console.log(
    formatTable(
      ['documents', 'text chars', 'chunks', 'tokens', 'seconds', 'peak renderer RSS'],
      table,
    ),
  );
  const [small, large] = rows;
  if (small && large) {
    const corpus = large.seeded.textChars / small.seeded.textChars;
    const memory = large.peakBytes / small.peakBytes;
    console.log(
      `corpus ${corpus.toFixed(2)}× larger → peak memory ${memory.toFixed(2)}× ` +
        `(${memory <= 1.15 ? 'flat' : 'NOT flat'}: within 15 %)`,
    );
  }
}
