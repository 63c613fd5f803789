import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addFiles, openApp, outcome, removeTempDir, sharedDir, waitForJobDone } from './helpers.ts';

const PARAGRAPHS = 300;

/** A tiny BERT on wasm: a few seconds of training, checkpoints and evaluations every few steps. */
function tinyConfig(maxSteps: number, learningRate = 0.001): string {
  return [
    'model:',
    '  d_model: 32',
    '  n_layers: 2',
    '  n_heads: 2',
    '  d_ff: 64',
    '  max_seq_len: 64',
    'data:',
    '  seq_len: 32',
    'training:',
    '  batch_size: 8',
    '  epochs: 50',
    `  max_steps: ${maxSteps}`,
    `  learning_rate: ${learningRate}`,
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
}

/** A dataset of WikiText-2 valid paragraphs (one document each) and a WordPiece tokenizer. */
async function datasetAndTokenizer(page: Page): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
  await page.getByLabel('New dataset name').fill('WikiText');
  await page.getByRole('button', { name: 'Create' }).click();
  const paragraphs = readFileSync(join(sharedDir, 'datasets/wikitext-2/valid.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('='))
    .slice(0, PARAGRAPHS);
  const jsonl = paragraphs.map((text) => JSON.stringify({ text })).join('\n');
  await addFiles(page, [
    { name: 'wikitext-valid.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(jsonl) },
  ]);
  await waitForJobDone(page);
  await expect(outcome(page, 'wikitext-valid.jsonl')).toContainText('added');

  await page.getByRole('navigation').getByRole('button', { name: 'Train' }).click();
  await page.getByTestId('tokenizer-type').selectOption('wordpiece');
  await page.getByTestId('tokenizer-vocab').fill('500');
  await page.getByTestId('tokenizer-train').click();
  await expect(page.getByTestId('tokenizer-summary')).toContainText('500 tokens', {
    timeout: 120_000,
  });
  await expect(page.getByTestId('pretrain-tokenizer')).toContainText('trained wordpiece');
}

async function setConfig(page: Page, yaml: string): Promise<void> {
  await page.getByTestId('train-config-tab-yaml').click();
  await page.getByTestId('train-config-yaml').fill(yaml);
  await expect(page.getByTestId('train-config-yaml-issues')).toHaveCount(0);
  await expect(page.getByTestId('pretrain-backend')).toHaveValue('wasm');
}

/** Rows counted by the dashboard for the selected run. */
async function rowCounts(page: Page): Promise<{ train: number; validation: number }> {
  const text = (await page.getByTestId('metric-count').textContent()) ?? '';
  const match = /(\d+) train rows, (\d+) validation rows/.exec(text);
  return { train: Number(match?.[1] ?? -1), validation: Number(match?.[2] ?? -1) };
}

async function progressStep(page: Page): Promise<number> {
  const text = (await page.getByTestId('pretrain-step').textContent({ timeout: 1000 })) ?? '';
  return Number(/step (\d+) of/.exec(text)?.[1] ?? -1);
}

test('pretrain a tiny BERT: live curves, pause/resume, checkpoints, export, reload, metrics JSONL', async () => {
  test.setTimeout(420_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-train-mlm-'));
  const opened: BrowserContext[] = [];
  const open = async () => {
    const app = await openApp(join(root, 'profile'));
    opened.push(app.context);
    return app;
  };
  try {
    let { context, page } = await open();
    await datasetAndTokenizer(page);
    const steps = 80;
    await setConfig(page, tinyConfig(steps));

    await page.getByTestId('pretrain-start').click();
    await expect(page.getByTestId('pretrain-progress')).toBeVisible();
    // Curves appear and grow while the run goes.
    await expect
      .poll(async () => (await rowCounts(page)).train, { timeout: 120_000 })
      .toBeGreaterThan(2);
    const early = (await rowCounts(page)).train;
    await expect
      .poll(async () => (await rowCounts(page)).train, { timeout: 60_000 })
      .toBeGreaterThan(early);
    await expect(page.getByTestId('curve-loss').locator('canvas').first()).toBeVisible();

    // Pause holds the step; Resume goes on from there.
    await page.getByTestId('pretrain-pause').click();
    await expect(page.getByTestId('pretrain-pause')).toHaveText('Resume');
    await expect(page.getByTestId('pretrain-progress')).toContainText('Paused');
    await page.waitForTimeout(500); // the step under way when Pause was clicked finishes
    const pausedAt = (await rowCounts(page)).train;
    await page.waitForTimeout(1500);
    expect((await rowCounts(page)).train).toBe(pausedAt);
    expect(pausedAt).toBeLessThan(steps);
    await page.getByTestId('pretrain-pause').click();
    await expect(page.getByTestId('pretrain-pause')).toHaveText('Pause');
    await expect
      .poll(async () => (await rowCounts(page)).train, { timeout: 60_000 })
      .toBeGreaterThan(pausedAt);

    await expect(page.getByTestId('pretrain-notice')).toContainText(`Finished at step ${steps}`, {
      timeout: 240_000,
    });
    await expect(page.getByTestId('pretrain-backend-used')).toContainText('wasm');
    // log_every_steps 1: one train row per step; evaluations every 5 steps and at epoch ends.
    const done = await rowCounts(page);
    expect(done.train).toBe(steps);
    expect(done.validation).toBeGreaterThanOrEqual(steps / 5);
    const run = page.getByTestId('run-row').first();
    await expect(run.getByTestId('run-status')).toHaveText('done');
    await expect(run.getByTestId('run-steps')).toHaveText(`${steps} / ${steps}`);

    // Checkpoints: the newest ones are kept, the final one among them.
    const checkpoints = page.getByTestId('checkpoint-row');
    await expect(checkpoints.last()).toHaveAttribute('data-step', String(steps));
    await expect(checkpoints.last()).toContainText('end of run');
    expect(await checkpoints.count()).toBeGreaterThanOrEqual(2);

    // Export: kept in the browser's model store, also offered as a zip.
    await page.getByTestId('export-name').fill('tiny-wiki-bert');
    await checkpoints.last().getByTestId('checkpoint-export').click();
    await expect(page.getByTestId('checkpoints').getByTestId('job-notice')).toContainText(
      'Saved tiny-wiki-bert',
      { timeout: 120_000 },
    );
    const [zip] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-zip').click(),
    ]);
    expect(zip.suggestedFilename()).toMatch(/^tiny-wiki-bert.*\.zip$/);
    const zipBytes = readFileSync(await zip.path());
    // A zip starts with a local file header and names the ONNX graph among its entries.
    expect(zipBytes.subarray(0, 4).toString('hex')).toBe('504b0304');
    expect(zipBytes.includes(Buffer.from('onnx/model.onnx'))).toBe(true);

    // The Library's Embedding panel lists the exported model.
    await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
    await page.getByTestId('dataset-item').filter({ hasText: 'WikiText' }).click();
    // The Embedding panel opens once the dataset has chunks.
    await page.getByRole('button', { name: 'Chunk dataset' }).click();
    await waitForJobDone(page);
    await page.getByTestId('model-kind').selectOption('stored');
    await expect(
      page.getByTestId('stored-model-select').locator('option', { hasText: 'tiny-wiki-bert' }),
    ).toHaveCount(1);

    // After a reload the run is listed with its curves; its metrics download as JSONL.
    await context.close();
    ({ context, page } = await open());
    await page.getByRole('navigation').getByRole('button', { name: 'Train' }).click();
    await expect(page.getByTestId('run-row')).toHaveCount(1);
    await expect(page.getByTestId('run-row').first().getByTestId('run-status')).toHaveText('done');
    await expect.poll(() => rowCounts(page)).toEqual(done);
    await expect(page.getByTestId('checkpoint-row').last()).toHaveAttribute(
      'data-step',
      String(steps),
    );
    await page.getByTestId('axis-epoch').check();
    await expect(page.getByTestId('curve-loss').locator('canvas').first()).toBeVisible();
    const [png] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('curve-loss-png').click(),
    ]);
    expect(png.suggestedFilename()).toMatch(/^loss-.*\.png$/);
    expect(
      readFileSync(await png.path())
        .subarray(1, 4)
        .toString('latin1'),
    ).toBe('PNG');
    const [jsonl] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('metrics-jsonl').click(),
    ]);
    expect(jsonl.suggestedFilename()).toMatch(/\.jsonl$/);
    const lines = readFileSync(await jsonl.path(), 'utf8')
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(done.train + done.validation);
    const rows = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const evaluated = new Set(
      rows.filter((row) => row['split'] === 'validation').map((row) => row['step']),
    );
    for (let step = 5; step <= steps; step += 5) expect(evaluated.has(step)).toBe(true);
    const train = rows.filter((row) => row['split'] === 'train');
    expect(train.map((row) => row['step'])).toEqual(Array.from({ length: steps }, (_, i) => i + 1));
    for (const row of train) {
      for (const key of ['loss', 'accuracy', 'perplexity', 'learning_rate', 'tokens_per_second']) {
        expect(typeof row[key]).toBe('number');
      }
    }
    // Training lowers the loss: the last train rows average below the first ones.
    const mean = (xs: Record<string, unknown>[]) =>
      xs.reduce((sum, row) => sum + Number(row['loss']), 0) / xs.length;
    expect(mean(train.slice(-10))).toBeLessThan(mean(train.slice(0, 10)));
    await context.close();
  } finally {
    // A failed step leaves its window open; Chromium must let go of the profile before removal.
    for (const context of opened) await context.close();
    await removeTempDir(root);
  }
});

test('a run interrupted by a closed tab is listed as resumable and continues from its checkpoint', async () => {
  test.setTimeout(420_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-train-resume-'));
  const opened: BrowserContext[] = [];
  const open = async () => {
    const app = await openApp(join(root, 'profile'));
    opened.push(app.context);
    return app;
  };
  try {
    let { context, page } = await open();
    await datasetAndTokenizer(page);
    const steps = 300;
    await setConfig(page, tinyConfig(steps));
    await page.getByTestId('pretrain-start').click();
    // Past a few checkpoints (every 5 steps), then the tab goes away mid-run.
    await expect
      .poll(() => progressStep(page).catch(() => -1), { intervals: [20], timeout: 120_000 })
      .toBeGreaterThan(12);
    await context.close();

    ({ context, page } = await open());
    await page.getByRole('navigation').getByRole('button', { name: 'Train' }).click();
    const row = page.getByTestId('run-row').first();
    await expect(row.getByTestId('run-status')).toHaveText('interrupted (tab closed)');
    const stepsText = (await row.getByTestId('run-steps').textContent()) ?? '';
    const checkpointStep = Number(/^(\d+) \//.exec(stepsText)?.[1]);
    expect(checkpointStep).toBeGreaterThanOrEqual(10);
    expect(checkpointStep % 5).toBe(0);
    expect(checkpointStep).toBeLessThan(steps);
    const before = await rowCounts(page);
    expect(before.train).toBeGreaterThanOrEqual(checkpointStep);

    await row.getByTestId('run-resume').click();
    await expect(page.getByTestId('pretrain-progress')).toBeVisible();
    // The first step reported after resuming comes after the checkpoint, never from step 1.
    await expect
      .poll(() => progressStep(page).catch(() => -1), { intervals: [10], timeout: 120_000 })
      .toBeGreaterThan(0);
    expect(await progressStep(page)).toBeGreaterThan(checkpointStep);

    // Stop ends the session after the step under way with a checkpoint; Resume goes on from it.
    await page.getByTestId('pretrain-stop').click();
    await expect(page.getByTestId('pretrain-notice')).toContainText('Stopped at step', {
      timeout: 60_000,
    });
    const stoppedAt = Number(
      /Stopped at step (\d+)/.exec(
        (await page.getByTestId('pretrain-notice').textContent()) ?? '',
      )?.[1],
    );
    expect(stoppedAt).toBeGreaterThan(checkpointStep);
    expect(stoppedAt).toBeLessThan(steps);
    await expect(row.getByTestId('run-status')).toHaveText('stopped');
    await expect(row.getByTestId('run-steps')).toHaveText(`${stoppedAt} / ${steps}`);
    await row.getByTestId('run-resume').click();
    await expect
      .poll(() => progressStep(page).catch(() => -1), { intervals: [10], timeout: 120_000 })
      .toBeGreaterThan(stoppedAt);

    await expect(page.getByTestId('pretrain-notice')).toContainText(`Finished at step ${steps}`, {
      timeout: 300_000,
    });
    await expect(row.getByTestId('run-status')).toHaveText('done');
    await expect(page.getByTestId('run-row')).toHaveCount(1);
    // One row per step across both sessions: the steps after the checkpoint were logged again
    // (same keys), not appended as a restart.
    const after = await rowCounts(page);
    expect(after.train).toBe(steps);
    expect(after.validation).toBeGreaterThanOrEqual(steps / 5);
    await context.close();
  } finally {
    // A failed step leaves its window open; Chromium must let go of the profile before removal.
    for (const context of opened) await context.close();
    await removeTempDir(root);
  }
});

test('two runs side by side: setup differences flagged, results read from each run', async () => {
  test.setTimeout(300_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-train-compare-'));
  const { context, page } = await openApp(join(root, 'profile'));
  try {
    await datasetAndTokenizer(page);
    const runs = [
      { steps: 10, learningRate: 0.001 },
      { steps: 15, learningRate: 0.003 },
    ];
    for (const { steps, learningRate } of runs) {
      await setConfig(page, tinyConfig(steps, learningRate));
      await page.getByTestId('pretrain-start').click();
      await expect(page.getByTestId('pretrain-notice')).toContainText(`Finished at step ${steps}`, {
        timeout: 120_000,
      });
    }
    const rows = page.getByTestId('run-row');
    await expect(rows).toHaveCount(2);
    // The comparison appears once a second run is ticked.
    await expect(page.getByTestId('run-comparison')).toHaveCount(0);
    const unticked = rows.filter({ has: page.locator('[data-testid="run-compare"]:enabled') });
    await unticked.getByTestId('run-compare').check();
    const table = page.getByTestId('run-comparison');
    await expect(table.getByTestId('comparison-run')).toHaveCount(2);
    await expect(page.getByTestId('metric-count')).toContainText('comparing with 1 more');

    const row = (label: string) =>
      table.locator(`[data-testid="comparison-row"][data-label="${label}"]`);
    const cells = async (label: string) => row(label).locator('td').allTextContents();
    await expect(row('Learning rate')).toHaveAttribute('data-differs', 'true');
    expect((await cells('Learning rate')).sort()).toEqual(['0.001', '0.003']);
    await expect(row('Max steps')).toHaveAttribute('data-differs', 'true');
    await expect(row('Hidden size')).toHaveAttribute('data-differs', 'false');
    expect(await cells('Hidden size')).toEqual(['32', '32']);
    expect((await cells('Steps logged')).sort()).toEqual(['10', '15']);
    for (const value of await cells('Best validation loss')) {
      expect(Number(value)).toBeGreaterThan(0);
    }
    // Only the differing settings, when asked; results stay.
    await table.getByTestId('comparison-differences').check();
    await expect(row('Hidden size')).toHaveCount(0);
    await expect(row('Learning rate')).toHaveCount(1);
    await expect(row('Best validation loss')).toHaveCount(1);
  } finally {
    await context.close();
    await removeTempDir(root);
  }
});
