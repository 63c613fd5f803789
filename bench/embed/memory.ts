import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright';
import { chromiumArgs, chromiumPath } from '../../tests/support/chromium.ts';
import { vmHwmBytes } from '../shared.ts';
import type { LuminaBench } from './bench.ts';
import type { MemoryEmbedResult, MemorySeedResult } from './protocol.ts';

export interface MemoryBenchOptions {
  /** Documents in the smaller corpus; the larger one holds `factor` times as many. */
  documents: number;
  factor: number;
  documentChars: number;
  chunkWords: number;
  modelName: string;
  threads: number;
  maxTokens: number;
  tokenBudget: number;
  seed: number;
}

export interface MemoryRow {
  seeded: MemorySeedResult;
  embedded: MemoryEmbedResult;
  /** Peak RSS (VmHWM) of the renderer processes of the embedding session. */
  peakBytes: number;
}

type Log = (message: string) => void;

/**
 * Peak memory of the resumable embed job (texts streamed from IndexedDB) at two corpus sizes.
 * Each size gets its own browser profile: one session seeds and chunks the corpus, then a fresh
 * session over the same profile runs the job, so its high-water mark is the job's alone.
 */
export async function runMemoryBench(
  url: string,
  options: MemoryBenchOptions,
  log: Log,
): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const documents of [options.documents, options.documents * options.factor]) {
    const profile = await mkdtemp(path.join(os.tmpdir(), 'lumina-memory-bench-'));
    try {
      log(`memory: seeding ${documents} documents of ~${options.documentChars} characters`);
      const seeded = await inSession(profile, url, (page) =>
        page.evaluate(
          (req) =>
            (globalThis as unknown as { luminaBench: LuminaBench }).luminaBench.seedCorpus(req),
          {
            documents,
            documentChars: options.documentChars,
            chunkWords: options.chunkWords,
            seed: options.seed,
          },
        ),
      );
      log(`memory: embedding ${seeded.chunks} chunks from IndexedDB`);
      let peakBytes = 0;
      const embedded = await inSession(profile, url, async (page) => {
        const result = await page.evaluate(
          (req) =>
            (globalThis as unknown as { luminaBench: LuminaBench }).luminaBench.embedStored(req),
          {
            datasetId: seeded.datasetId,
            modelName: options.modelName,
            threads: options.threads,
            maxTokens: options.maxTokens,
            tokenBudget: options.tokenBudget,
          },
        );
        peakBytes = await rendererPeakOfProfile(profile);
        return result;
      });
      rows.push({ seeded, embedded, peakBytes });
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
  }
  return rows;
}

async function inSession<T>(
  profile: string,
  url: string,
  work: (page: Page) => Promise<T>,
): Promise<T> {
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    args: chromiumArgs(),
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url);
    await page.waitForFunction(() => 'luminaBench' in globalThis, null, { timeout: 60_000 });
    return await work(page);
  } finally {
    await context.close();
  }
}

interface ProcessEntry {
  pid: number;
  ppid: number;
  cmdline: string;
}

async function processTable(): Promise<ProcessEntry[]> {
  const entries: ProcessEntry[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may itself hold spaces.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = (await readFile(`/proc/${name}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      entries.push({ pid: Number(name), ppid, cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return entries;
}

/**
 * The largest VmHWM among renderer processes under the Chromium started on `profile`. Other
 * browsers may run on the machine (tests, other benches): only this profile's tree counts.
 */
async function rendererPeakOfProfile(profile: string): Promise<number> {
  const table = await processTable();
  const roots = table.filter(
    (p) => p.cmdline.includes(`--user-data-dir=${profile}`) && !p.cmdline.includes('--type='),
  );
  const parent = new Map(table.map((p) => [p.pid, p.ppid]));
  const underRoot = (pid: number): boolean => {
    for (let at: number | undefined = pid, hops = 0; at && hops < 16; at = parent.get(at), hops++) {
      if (roots.some((root) => root.pid === at)) return true;
    }
    return false;
  };
  let peak = 0;
  for (const entry of table) {
    if (!entry.cmdline.includes('--type=renderer') || !underRoot(entry.pid)) continue;
    peak = Math.max(peak, await vmHwmBytes(entry.pid));
  }
  if (peak === 0) throw new Error(`No renderer process found for the profile ${profile}`);
  return peak;
}
