import { chromium, expect, test } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs, chromiumPath } from '../support/chromium.ts';
import { baseURL, outcome, removeTempDir, waitForJobDone } from './helpers.ts';

test.beforeEach(async ({ page }) => {
  await page.goto('/');
  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
  await page.getByLabel('New dataset name').fill('Bring');
  await page.getByRole('button', { name: 'Create' }).click();
});

test('a whole folder keeps its relative paths', async ({ page }) => {
  const root = mkdtempSync(join(tmpdir(), 'lumina-folder-'));
  try {
    mkdirSync(join(root, 'notes', 'deep'), { recursive: true });
    writeFileSync(join(root, 'notes', 'a.md'), '# Alpha\n\nFirst note.');
    writeFileSync(join(root, 'notes', 'deep', 'b.txt'), 'Second note.');
    await page.getByTestId('folder-input').setInputFiles(join(root, 'notes'));
    await waitForJobDone(page);
    await expect(outcome(page, 'notes/a.md')).toContainText('added');
    await expect(outcome(page, 'notes/deep/b.txt')).toContainText('added');
    await expect(page.getByTestId('document-item')).toHaveCount(2);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('files dropped on the page are ingested', async ({ page }) => {
  await page.getByRole('region', { name: 'Drop files or folders here' }).evaluate((zone) => {
    const transfer = new DataTransfer();
    transfer.items.add(
      new File(['id,text\n1,"Dropped, with a comma"\n'], 'dropped.csv', { type: 'text/csv' }),
    );
    zone.dispatchEvent(
      new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }),
    );
  });
  await waitForJobDone(page);
  await expect(outcome(page, 'dropped.csv')).toContainText('added');
  await expect(page.getByTestId('document-item')).toContainText('Dropped, with a comma');
});

test('pasted text becomes a document, once', async ({ page }) => {
  await page.getByText('Paste text').click();
  const box = page.getByPlaceholder('Paste text to add it as a document');
  await box.fill('Pasted about mitochondria.');
  await page.getByRole('button', { name: 'Add pasted text' }).click();
  await waitForJobDone(page);
  await expect(page.getByTestId('document-item')).toContainText('Pasted about mitochondria.');
  await box.fill('Pasted about mitochondria.');
  await page.getByRole('button', { name: 'Add pasted text' }).click();
  await waitForJobDone(page);
  await expect(page.getByTestId('outcome')).toContainText('duplicate');
  await expect(page.getByTestId('document-item')).toHaveCount(1);
});

test('the app is installable (manifest, icons, service worker)', async () => {
  // Installability is judged only outside incognito, so this test uses a real profile.
  const profile = mkdtempSync(join(tmpdir(), 'lumina-install-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    args: chromiumArgs(),
    headless: true,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(baseURL);
    await page.evaluate(() => navigator.serviceWorker.ready);
    const cdp = await context.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
      installabilityErrors: Array<{ errorId: string }>;
    };
    expect(installabilityErrors.map((e) => e.errorId)).toEqual([]);
  } finally {
    await context.close();
    await removeTempDir(profile);
  }
});
