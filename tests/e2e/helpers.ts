import { expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface FilePayload {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** Where playwright.config.ts serves the production build. */
export const baseURL = 'http://127.0.0.1:4173';

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
