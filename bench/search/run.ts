import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright';
import { createServer, type ViteDevServer } from 'vite';
import { chromiumArgs, chromiumPath } from '../../tests/support/chromium.ts';
import type { LuminaSearchBench } from './bench.ts';
import type { BenchRow, SearchBenchRequest, SearchBenchResult } from './protocol.ts';
import { formatTable, freePort } from '../shared.ts';

/**
 * `npm run bench:search`: exact top-k over seeded unit vectors in headless Chromium, Lumina's
 * WASM SIMD index vs a plain JavaScript loop in the same page, plus the typed-array fallback, a
 * batch, the int8 index (with recall@k) and a large sharded set. Prints one table and the targets.
 */

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const TARGET_SPEEDUP = 10;
const TARGET_P50_MS = 20;

function parseOptions(): SearchBenchRequest {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rows: { type: 'string', default: '100000' },
      dims: { type: 'string', default: '384' },
      queries: { type: 'string', default: '100' },
      k: { type: 'string', default: '10' },
      large: { type: 'string', default: '1000000' },
      'large-queries': { type: 'string', default: '20' },
      rerank: { type: 'string', default: '10' },
      seed: { type: 'string', default: '1' },
      webgpu: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, text: string | undefined, min = 1): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`--${name} must be an integer ≥ ${min}`);
    return value;
  };
  return {
    rows: int('rows', values.rows),
    dims: int('dims', values.dims),
    queries: int('queries', values.queries),
    k: int('k', values.k),
    largeRows: int('large', values.large, 0),
    largeQueries: int('large-queries', values['large-queries']),
    rerank: int('rerank', values.rerank),
    seed: int('seed', values.seed),
    webgpu: values.webgpu,
  };
}

async function main(): Promise<void> {
  const request = parseOptions();
  let server: ViteDevServer | null = null;
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs() });
  try {
    const port = await freePort();
    server = await createServer({
      root: repoRoot,
      configFile: path.join(repoRoot, 'vite.config.ts'),
      logLevel: 'warn',
      server: { host: '127.0.0.1', port, strictPort: true },
    });
    await server.listen();
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.text().startsWith('[bench:search]')) console.error(message.text());
    });
    page.on('pageerror', (error) => log(`page error: ${error.message}`));
    await page.goto(`http://127.0.0.1:${port}/bench/search/index.html`);
    await page.waitForFunction(() => 'luminaSearchBench' in globalThis, null, { timeout: 60_000 });
    const result = await page.evaluate(
      (req) =>
        (globalThis as unknown as { luminaSearchBench: LuminaSearchBench }).luminaSearchBench.run(
          req,
        ),
      request,
    );
    report(request, result);
  } finally {
    await browser.close();
    await server?.close();
  }
}

function percentile(times: readonly number[], p: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function report(request: SearchBenchRequest, result: SearchBenchResult): void {
  const baseline = result.rows[0] as BenchRow;
  const baseP50 = percentile(baseline.times, 50);
  const table = result.rows.map((row) => {
    const p50 = percentile(row.times, 50);
    const comparable = row.rows === baseline.rows;
    return [
      row.path,
      row.rows.toLocaleString('en-US'),
      String(row.queries),
      p50.toFixed(2),
      percentile(row.times, 95).toFixed(2),
      comparable ? `${(baseP50 / p50).toFixed(1)}×` : '—',
      row.recall === undefined ? 'exact' : row.recall.toFixed(3),
    ];
  });
  console.log(
    `\nexact top-${request.k} by cosine over seeded unit vectors, ${request.dims} dims, ` +
      `${request.queries} queries (large set: ${request.largeQueries}); headless ${result.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? 'Chromium'}; ` +
      `machine: ${os.cpus().length} cores, load average ${os.loadavg()[0]?.toFixed(2)}`,
  );
  console.log(
    formatTable(
      ['path', 'rows', 'queries', 'p50 ms', 'p95 ms', 'vs baseline (p50)', 'recall@' + request.k],
      table,
    ),
  );
  for (const row of result.rows) if (row.note) console.log(`note: ${row.path}: ${row.note}`);
  console.log(
    `shards: ${result.shards.map((s) => `${s.rows.toLocaleString('en-US')} rows → ${s.shards}`).join(', ')}`,
  );
  for (const a of result.agreement) {
    console.log(
      `agreement with baseline, ${a.path}: same top-${request.k} ids on ${a.sameIds}/${a.queries} queries, ` +
        `max |score diff| ${a.maxScoreDiff.toExponential(1)}`,
    );
  }
  const wasm = result.rows.find((row) => row.path === 'Lumina WASM SIMD');
  if (wasm) {
    const p50 = percentile(wasm.times, 50);
    const speedup = baseP50 / p50;
    console.log(
      `target WASM ≥ ${TARGET_SPEEDUP}× baseline: ${speedup.toFixed(1)}× — ${speedup >= TARGET_SPEEDUP ? 'MET' : 'NOT MET'}`,
    );
    console.log(
      `target WASM p50 ≤ ${TARGET_P50_MS} ms:       ${p50.toFixed(2)} ms — ${p50 <= TARGET_P50_MS ? 'MET' : 'NOT MET'}`,
    );
  }
}

function log(message: string): void {
  console.error(`[bench:search] ${message}`);
}

await main();
