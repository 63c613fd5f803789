import { chromium, expect, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename } from 'node:path';
import { chromiumArgs, chromiumPath } from '../support/chromium.ts';
import { fileURLToPath } from 'node:url';

export interface FilePayload {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** Where playwright.config.ts serves the production build. */
export const baseURL = `http://127.0.0.1:${process.env.LUMINA_E2E_PORT ?? '4173'}`;

export const sharedDir = fileURLToPath(new URL('../../../shared', import.meta.url));

/** Adds files through the visible "Pick files…" input, as a person would. */
export async function addFiles(page: Page, files: Array<string | FilePayload>): Promise<void> {
  const payloads = files.map((file) =>
    typeof file === 'string'
      ? { name: basename(file), mimeType: 'application/octet-stream', buffer: readFileSync(file) }
      : file,
  );
  await page.getByTestId('file-input').setInputFiles(payloads);
}

export async function waitForJobDone(page: Page): Promise<void> {
  await expect(page.getByTestId('job-percent')).toHaveCount(0, { timeout: 120_000 });
}

export function outcome(page: Page, file: string) {
  return page.getByTestId('outcome').filter({ hasText: file });
}

/**
 * The app in Chromium with a real profile folder, so closing and reopening it keeps IndexedDB as
 * a browser restart would; opens the Library.
 */
export async function openApp(profile: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    args: chromiumArgs(),
    headless: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(baseURL);
  await expect(page.getByRole('heading', { name: 'Lumina' })).toBeVisible();
  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
  return { context, page };
}

/** Processes started with `dir` on their command line: a Chromium profile's browser and helpers. */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // The process ended between listing /proc and reading it.
    }
  }
  return pids;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Removes a test's temp folder. `context.close()` can resolve while Chromium's helpers still
 * flush the profile (a loaded CI machine took over 5 s), and a failed test may leave Chromium
 * running, so wait for every process using the folder to end — killing it after 30 s — before
 * deleting, then retry the delete for a few seconds.
 */
export async function removeTempDir(dir: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (processesUsing(dir).length > 0 && Date.now() < deadline) await sleep(250);
  for (const pid of processesUsing(dir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 40, retryDelay: 250 });
}

/** Explore → Ask for the dataset the app has selected. */
export async function openAsk(page: Page): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: 'Explore' }).click();
  await page
    .getByRole('navigation', { name: 'Explore tools' })
    .getByRole('button', { name: 'Ask' })
    .click();
  await expect(page.getByRole('region', { name: 'Ask' })).toBeVisible();
}

/** Asks in the Ask panel and waits for the new turn, which it returns. */
export async function askQuestion(page: Page, question: string): Promise<Locator> {
  const before = await page.getByTestId('ask-turn').count();
  await page.getByTestId('ask-question').fill(question);
  await page.getByTestId('ask-submit').click();
  await expect(page.getByTestId('ask-turn')).toHaveCount(before + 1);
  return page.getByTestId('ask-turn').last();
}
