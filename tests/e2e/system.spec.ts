import { expect, test } from '@playwright/test';

test('first run opens the system check, which names the software adapter and the fallback', async ({
  page,
}) => {
  await page.goto('/');
  const view = page.getByTestId('system-view');
  await expect(view).toBeVisible();
  await expect(page.getByTestId('check-webgpu')).toContainText(/Software adapter|WebGPU/);
  await expect(page.getByTestId('check-webgpu')).toContainText(/WebAssembly|swiftshader/i);
  await expect(page.getByTestId('isolated')).toHaveText('yes');
  await expect(page.getByTestId('check-storage')).toContainText('used of');
  await expect(page.getByTestId('app-version')).toHaveText(/\d+\.\d+\.\d+/);
  await expect(page.getByText('Software WebGPU: heavy work uses WebAssembly')).toBeVisible();
});

test('the storage view shows the origin’s use and an empty store', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('navigation').getByRole('button', { name: 'System' }).click();
  const storage = page.getByTestId('storage-view');
  await expect(storage.getByTestId('storage-total')).toContainText(/used of \d/);
  await expect(storage.getByTestId('storage-persisted')).toHaveText(/yes|no/);
  await expect(storage.getByText('No datasets stored.')).toBeVisible();
  await expect(storage.getByText('No models stored or cached.')).toBeVisible();
});

test('the browser’s install offer becomes an Install Lumina button that reports the outcome', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Lumina' })).toBeVisible();
  const install = page.getByRole('button', { name: 'Install Lumina' });
  await expect(install).toHaveCount(0);

  // Chromium fires beforeinstallprompt only after engagement heuristics a test cannot meet:
  // dispatch one with the same shape (prompt() and userChoice) as the real event.
  const prevented = await page.evaluate(() => {
    const offer = new Event('beforeinstallprompt', { cancelable: true });
    const prompts = { count: 0 };
    (globalThis as { installPrompts?: typeof prompts }).installPrompts = prompts;
    Object.assign(offer, {
      prompt: () => {
        prompts.count++;
        return Promise.resolve();
      },
      userChoice: Promise.resolve({ outcome: 'accepted', platform: 'web' }),
    });
    window.dispatchEvent(offer);
    return offer.defaultPrevented;
  });
  expect(prevented).toBe(true);
  await install.click();
  await expect(page.getByTestId('install-outcome')).toContainText('being installed');
  expect(
    await page.evaluate(
      () => (globalThis as { installPrompts?: { count: number } }).installPrompts?.count,
    ),
  ).toBe(1);
  await expect(install).toHaveCount(0);

  await page.evaluate(() => window.dispatchEvent(new Event('appinstalled')));
  await expect(page.getByTestId('install-outcome')).toContainText('Lumina is installed.');
});
