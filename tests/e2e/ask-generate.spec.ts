import { expect, test, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSeededDecoderFolder } from '../../src/core/model/decoder/decoder-folder.ts';
import { decoderTokenizer, tinyDecoderConfig } from '../unit/decoder/fixtures.ts';
import { writeFolder } from '../unit/decoder/write-folder.ts';
import { createChunkedDataset, docId, documentQuestion } from './embedding-fixtures.ts';
import { openAsk, removeTempDir } from './helpers.ts';

/** What the scripted seeded decoder says after `<|assistant|>`, citing the first source. */
const SCRIPTED = ' Sunlight helps the skin [1].';

/** Two seeded GPT-2 folders written by Lumina's exporter: one scripted, one that rambles on. */
async function writeDecoders(root: string): Promise<{ scripted: string; rambler: string }> {
  const tokenizer = await decoderTokenizer();
  const scripted = await buildSeededDecoderFolder({
    config: tinyDecoderConfig(tokenizer, { tieWordEmbeddings: false, nPositions: 1024 }),
    seed: 3,
    tokenizer,
    scriptedText: SCRIPTED,
  });
  const rambler = await buildSeededDecoderFolder({
    config: tinyDecoderConfig(tokenizer, { nPositions: 1024, nEmbd: 128, nLayer: 4 }),
    seed: 8,
    tokenizer,
  });
  const dirs = {
    scripted: join(root, 'scripted-decoder'),
    rambler: join(root, 'rambling-decoder'),
  };
  await writeFolder(dirs.scripted, scripted.files);
  await writeFolder(dirs.rambler, rambler.files);
  return dirs;
}

async function loadGenerator(page: Page, dir: string): Promise<void> {
  await page.getByTestId('ask-generator-kind').selectOption('folder');
  await page.getByTestId('ask-generator-folder').setInputFiles(dir);
  await page.getByTestId('ask-generator-device').selectOption('wasm');
  await page.getByTestId('ask-generator-load').click();
  await expect(page.getByTestId('ask-generator-info')).toContainText('on wasm');
  await expect(page.getByTestId('ask-generator-seeded')).toContainText('meaningless');
}

test('ask with a text-generation model: streamed, stoppable, cited', async ({ page }) => {
  test.setTimeout(240_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-ask-generate-'));
  try {
    const decoders = await writeDecoders(root);
    await page.goto('/');
    await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
    await createChunkedDataset(page, 'Notes');
    await openAsk(page);

    await page.getByText('Advanced').click();
    await page.getByTestId('ask-answerer').selectOption('generator');
    await expect(page.getByTestId('ask-generator')).toBeVisible();
    await loadGenerator(page, decoders.scripted);
    await expect(page.getByTestId('ask-generator-info')).toContainText('chat template');

    // The scripted decoder answers with [1]; it links to the note retrieval ranked first.
    const answered = 100;
    await page.getByTestId('ask-question').fill(documentQuestion(answered));
    await page.getByTestId('ask-submit').click();
    const turn = page.getByTestId('ask-turn').last();
    await expect(turn.getByTestId('ask-answer')).toHaveText(SCRIPTED.trim());
    await expect(turn.getByTestId('ask-seeded-label')).toBeVisible();
    await expect(turn.getByTestId('ask-uncited')).toHaveCount(0);
    await expect(turn.getByTestId('ask-source').first()).toContainText(`[1] ${docId(answered)}`);
    await turn.getByTestId('ask-citation').first().click();
    await expect(page.getByTestId('chunk-highlight')).toContainText(`Note ${answered}:`);

    // A long meaningless answer streams into the page and Stop keeps what came so far.
    await openAsk(page);
    await loadGenerator(page, decoders.rambler);
    await page.getByTestId('ask-max-tokens').fill('600');
    await page.getByTestId('ask-question').fill(documentQuestion(7));
    await page.getByTestId('ask-submit').click();
    const streaming = page.getByTestId('ask-streaming');
    await expect(streaming).not.toBeEmpty();
    const seen = (await streaming.textContent()) ?? '';
    await page.getByTestId('ask-stop').click();
    const stopped = page.getByTestId('ask-turn').last();
    await expect(stopped.getByTestId('ask-interrupted')).toHaveText('Stopped');
    await expect(stopped.getByTestId('ask-uncited')).toBeVisible();
    const partial = (await stopped.getByTestId('ask-answer').textContent()) ?? '';
    expect(partial.startsWith(seen)).toBe(true);
    await expect(stopped.getByTestId('ask-generation')).toContainText(/\d+ tokens/);
    const tokens = Number(
      /(\d+) tokens/.exec((await stopped.getByTestId('ask-generation').textContent()) ?? '')?.[1],
    );
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBeLessThan(600);
  } finally {
    await removeTempDir(root);
  }
});
