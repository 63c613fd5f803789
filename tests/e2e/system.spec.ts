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
