import { expect, test } from '@playwright/test';
import { addFiles, outcome, waitForJobDone } from './helpers.ts';

test('the installed app reloads offline, stays isolated, and ingests a file', async ({
  page,
  context,
}) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Lumina' })).toBeVisible();

  const manifest = await page.evaluate(async () => {
    const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]');
    return link
      ? ((await (await fetch(link.href)).json()) as {
          name: string;
          icons: unknown[];
          file_handlers?: { action: string; accept: Record<string, string[]> }[];
        })
      : null;
  });
  expect(manifest?.name).toContain('Lumina');
  expect(manifest?.icons.length).toBeGreaterThanOrEqual(2);
  // The installed app is offered .lumina files by the file manager (File Handling API).
  expect(manifest?.file_handlers).toEqual([
    { action: './', accept: { 'application/x-lumina-bundle': ['.lumina'] } },
  ]);

  // Wait until the service worker controls the page, so the shell is cached.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) =>
        navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
      );
    }
  });

  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Lumina' })).toBeVisible();
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);

  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
  await addFiles(page, [
    {
      name: 'offline-notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('Written while offline.\nSecond line.'),
    },
  ]);
  await waitForJobDone(page);
  await expect(outcome(page, 'offline-notes.txt')).toContainText('added');
  await expect(page.getByTestId('document-item')).toContainText('Written while offline.');
  await context.setOffline(false);
});
