import { expect, test } from '@playwright/test';
import { createChunkedDataset, documentQuestion } from './embedding-fixtures.ts';
import { openAsk } from './helpers.ts';

const DECODER = 'notes-decoder';
const STEPS = 15;

/** A tiny GPT-2 on wasm; 1024 positions leave room for the Ask prompt with its sources. */
const CONFIG = [
  'model:',
  '  d_model: 32',
  '  n_layers: 2',
  '  n_heads: 2',
  '  d_ff: 64',
  '  max_seq_len: 1024',
  '  layer_norm_eps: 1.0e-5',
  'data:',
  '  seq_len: 32',
  'training:',
  '  batch_size: 8',
  '  epochs: 50',
  `  max_steps: ${STEPS}`,
  '  learning_rate: 0.005',
  '  warmup_steps: 2',
  '  warmup_ratio: 0',
  '  log_every_steps: 1',
  '  eval_every_steps: 5',
  '  checkpoint_every_steps: 5',
  '  early_stopping:',
  '    patience: 0',
  '  backend: wasm',
  '',
].join('\n');

test('train a tiny decoder in the Train view, then answer with it in Ask', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
  await createChunkedDataset(page, 'Notes');

  await page.getByRole('navigation').getByRole('button', { name: 'Train' }).click();
  await page.getByTestId('pretrain-objective').selectOption('clm');
  await expect(page.getByTestId('pretrain-tokenizer-decoder')).toBeChecked();
  await page.getByTestId('pretrain-decoder-vocab').fill('400');
  await expect(page.getByTestId('pretrain-tokenizer')).toContainText('byte-level BPE of 400');
  await page.getByTestId('train-config-tab-yaml').click();
  await page.getByTestId('train-config-yaml').fill(CONFIG);
  await expect(page.getByTestId('train-config-yaml-issues')).toHaveCount(0);
  await expect(page.getByTestId('pretrain-backend')).toHaveValue('wasm');

  await page.getByTestId('pretrain-start').click();
  await expect(page.getByTestId('pretrain-notice')).toContainText(`Finished at step ${STEPS}`, {
    timeout: 180_000,
  });
  // The same live curves as MLM: one train row per step, validation every 5 steps.
  await expect(page.getByTestId('metric-count')).toContainText(`${STEPS} train rows`);
  await expect(page.getByTestId('run-row').first()).toHaveAttribute('data-status', 'done');

  await page.getByTestId('pretrain-decoder-name').fill(DECODER);
  await page.getByTestId('pretrain-use-in-ask-button').click();
  await expect(page.getByTestId('pretrain-use-in-ask-notice')).toContainText(
    `Saved ${DECODER} (step ${STEPS})`,
    { timeout: 60_000 },
  );

  await openAsk(page);
  await page.getByText('Advanced').click();
  await page.getByTestId('ask-answerer').selectOption('generator');
  await page.getByTestId('ask-generator-kind').selectOption('stored');
  const stored = page.getByTestId('ask-generator-stored');
  await expect(stored.locator('option')).toContainText([`${DECODER} (trained in Lumina)`]);
  await stored.selectOption({
    label: (await stored.locator('option').first().textContent()) ?? '',
  });
  await page.getByTestId('ask-generator-device').selectOption('wasm');
  await page.getByTestId('ask-generator-load').click();
  await expect(page.getByTestId('ask-generator-info')).toContainText(`${DECODER} (gpt2) on wasm`);
  await expect(page.getByTestId('ask-generator-trained')).toBeVisible();
  await expect(page.getByTestId('ask-generator-seeded')).toHaveCount(0);

  await page.getByTestId('ask-max-tokens').fill('24');
  await page.getByTestId('ask-question').fill(documentQuestion(100));
  await page.getByTestId('ask-submit').click();
  const turn = page.getByTestId('ask-turn').last();
  await expect(turn.getByTestId('ask-generation')).toContainText(`${DECODER} on wasm`, {
    timeout: 60_000,
  });
  await expect(turn.getByTestId('ask-generation')).toContainText(/[1-9]\d* tokens/);
  await expect(turn.getByTestId('ask-answer')).not.toBeEmpty();
  await expect(turn.getByTestId('ask-seeded-label')).toHaveCount(0);
});
