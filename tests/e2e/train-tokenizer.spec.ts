import { Tokenizer } from '@huggingface/tokenizers';
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addFiles, outcome, sharedDir, waitForJobDone } from './helpers.ts';

test('train a WordPiece tokenizer on a stored dataset and download a tokenizer.json that loads', async ({
  page,
}) => {
  await page.goto('/');
  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
  await page.getByLabel('New dataset name').fill('WikiText');
  await page.getByRole('button', { name: 'Create' }).click();
  // One document per WikiText-2 paragraph, so every 20th can be held out for the coverage report.
  const paragraphs = readFileSync(join(sharedDir, 'datasets/wikitext-2/valid.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('='));
  const jsonl = paragraphs.map((text) => JSON.stringify({ text })).join('\n');
  await addFiles(page, [
    { name: 'wikitext-valid.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(jsonl) },
  ]);
  await waitForJobDone(page);
  await expect(outcome(page, 'wikitext-valid.jsonl')).toContainText('added');

  await page.getByRole('navigation').getByRole('button', { name: 'Train' }).click();
  const datasetOption = page.getByTestId('tokenizer-dataset').locator('option', {
    hasText: 'WikiText',
  });
  await page
    .getByTestId('tokenizer-dataset')
    .selectOption((await datasetOption.getAttribute('value')) ?? '');
  await page.getByTestId('tokenizer-type').selectOption('wordpiece');
  await page.getByTestId('tokenizer-vocab').fill('3000');
  await page.getByTestId('tokenizer-train').click();

  await expect(page.getByTestId('tokenizer-summary')).toContainText('3000 tokens', {
    timeout: 120_000,
  });
  // Every paragraph is used once: for training or held out for the coverage report.
  const summary = (await page.getByTestId('tokenizer-summary').textContent()) ?? '';
  const trained = Number(/from (\d+) texts/.exec(summary)?.[1]);
  const heldOut = Number(
    await page
      .getByTestId('tokenizer-coverage')
      .locator('dt:has-text("Held-out texts") + dd')
      .textContent(),
  );
  expect(heldOut).toBeGreaterThan(50);
  expect(trained + heldOut).toBe(paragraphs.length);
  await expect(page.getByTestId('tokenizer-coverage')).toContainText('Unknown rate');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('tokenizer-download').click(),
  ]);
  expect(download.suggestedFilename()).toBe('tokenizer.json');
  const json = JSON.parse(readFileSync(await download.path(), 'utf8')) as {
    model: { type: string; vocab: Record<string, number> };
  };
  expect(json.model.type).toBe('WordPiece');
  expect(Object.keys(json.model.vocab)).toHaveLength(3000);

  // The downloaded file is a working HF tokenizer: it encodes with [CLS] … [SEP] inside the vocab.
  const tokenizer = new Tokenizer(json, {});
  const encoded = tokenizer.encode('The game was released in Japan in 2011.');
  expect(encoded.tokens[0]).toBe('[CLS]');
  expect(encoded.tokens.at(-1)).toBe('[SEP]');
  expect(encoded.tokens).toContain('the');
  expect(encoded.ids.every((id) => id >= 0 && id < 3000)).toBe(true);
});
