import { expect, test, type Download, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createChunkedDataset,
  docId,
  documentQuestion,
  embedWithModel,
  MODEL_NAME,
  writeTinyModel,
} from './embedding-fixtures.ts';
import { askQuestion, openAsk, removeTempDir } from './helpers.ts';

/** Resolves once a service worker controls the page (it claims clients on its first visit). */
async function waitForServiceWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) =>
        navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
      );
    }
  });
}

/** Selects the Notes dataset in the Library, then opens Explore → Ask. */
async function openNotesAsk(page: Page): Promise<void> {
  await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
  await page.getByTestId('dataset-item').filter({ hasText: 'Notes' }).click();
  await expect(page.getByTestId('dataset-title')).toHaveText('Notes');
  await openAsk(page);
}

function readDownload(download: Download): Promise<string> {
  return download.path().then((path) => readFileSync(path, 'utf8'));
}

test('ask: cited extractive answers, abstention, stored conversations, transcripts, offline', async ({
  page,
  context,
}) => {
  test.setTimeout(240_000);
  const answered = 100;
  const offline = 200;
  try {
    await page.goto('/');
    await waitForServiceWorker(page);
    await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
    await createChunkedDataset(page, 'Notes');
    await openNotesAsk(page);

    // Without an embedding set only BM25 runs; Lumina's own decoder is shown as not available.
    await expect(page.getByTestId('ask-retriever').locator('option[value="dense"]')).toBeDisabled();
    await expect(page.getByTestId('ask-answerer')).toHaveValue('extractive');
    await expect(page.getByTestId('ask-answerer').locator('option')).toHaveText([
      'Extractive (no generator)',
      'Text-generation model (Hub, folder, or a decoder trained in Lumina)',
    ]);

    // A question one note answers: the answer quotes that note and cites it as [1].
    await askQuestion(page, documentQuestion(answered));
    const turn = page.getByTestId('ask-turn').last();
    const answer = turn.getByTestId('ask-answer');
    await expect(answer).toContainText(`sample ${answered * 17}`);
    await expect(answer).toContainText('[1]');
    await expect(turn.getByTestId('ask-source').first()).toContainText(`[1] ${docId(answered)}`);
    await expect(turn.getByTestId('ask-source').first()).toContainText(`${docId(answered)}#0`);
    // The retrieved passages are listed with their scores, the cited note first.
    await turn.getByText(/retrieved passages/).click();
    const firstPassage = turn.getByTestId('ask-passage').first();
    await expect(firstPassage).toContainText(`${docId(answered)}#0`);
    await expect(firstPassage).toContainText(/\d\.\d{3}/);

    // The citation opens the cited note with the cited chunk highlighted.
    await answer.getByTestId('ask-citation').first().click();
    await expect(page.getByTestId('chunk-highlight')).toContainText(`Note ${answered}:`);
    await expect(page.getByRole('region', { name: 'Document' })).toContainText(docId(answered));

    // An off-topic question abstains instead of citing something.
    await askQuestion(page, 'How do I bake sourdough bread at home?');
    const refused = page.getByTestId('ask-turn').last().getByTestId('ask-abstained');
    await expect(refused).toHaveText('I could not find this in Notes.');
    await expect(page.getByTestId('ask-turn').last().getByTestId('ask-citation')).toHaveCount(0);

    // One conversation holds both turns; it is renamed.
    const conversations = page.getByTestId('ask-conversation');
    await expect(conversations).toHaveCount(1);
    await expect(conversations.first()).toContainText(documentQuestion(answered));
    await conversations.first().getByRole('button', { name: 'Rename' }).click();
    await page.getByLabel('Conversation title').fill('Sample lookups');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect(conversations.first()).toContainText('Sample lookups');

    // Transcripts: Markdown with the sources quoted, JSONL with citations and passage scores.
    const [markdownFile] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('ask-export-markdown').click(),
    ]);
    expect(markdownFile.suggestedFilename()).toBe('notes-sample-lookups.md');
    const markdown = await readDownload(markdownFile);
    expect(markdown).toContain('# Sample lookups');
    expect(markdown).toContain(`## 1. ${documentQuestion(answered)}`);
    expect(markdown).toContain(`- [1] ${docId(answered)} (chunks ${docId(answered)}#0; score `);
    expect(markdown).toContain(`> Note ${answered}:`);
    expect(markdown).toContain('## 2. How do I bake sourdough bread at home?');
    expect(markdown).toContain('I could not find this in Notes.');

    const [jsonlFile] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('ask-export-jsonl').click(),
    ]);
    expect(jsonlFile.suggestedFilename()).toBe('notes-sample-lookups.jsonl');
    const lines = (await readDownload(jsonlFile))
      .trimEnd()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            turn: number;
            question: string;
            answer: string;
            abstained: boolean;
            citations: {
              n: number;
              docId: string;
              chunkIds: string[];
              score: number;
              text: string;
            }[];
            passages: { chunkId: string; score: number; lexicalScore: number | null }[];
          },
      );
    expect(lines).toHaveLength(2);
    const [first, second] = lines;
    expect(first?.question).toBe(documentQuestion(answered));
    expect(first?.abstained).toBe(false);
    expect(first?.answer).toContain('[1]');
    expect(first?.citations[0]).toMatchObject({ n: 1, docId: docId(answered) });
    expect(first?.citations[0]?.chunkIds).toEqual([`${docId(answered)}#0`]);
    expect(first?.citations[0]?.text).toContain(`Note ${answered}:`);
    expect(first?.passages[0]?.chunkId).toBe(`${docId(answered)}#0`);
    expect(first?.passages[0]?.lexicalScore).toBeGreaterThan(0.12);
    expect(first?.passages.length).toBeGreaterThan(1);
    expect(second).toMatchObject({ turn: 2, abstained: true, citations: [] });

    // The conversation survives a reload.
    await page.reload();
    await openNotesAsk(page);
    await expect(conversations).toHaveCount(1);
    await expect(conversations.first()).toContainText('Sample lookups');
    await expect(page.getByTestId('ask-turn')).toHaveCount(2);
    await expect(page.getByTestId('ask-answer').first()).toContainText(`sample ${answered * 17}`);

    // Offline: the app reloads from the service worker and BM25 extractive answers need no model.
    await context.setOffline(true);
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Lumina' })).toBeVisible();
    await openNotesAsk(page);
    await askQuestion(page, documentQuestion(offline));
    const offlineTurn = page.getByTestId('ask-turn').last();
    await expect(offlineTurn.getByTestId('ask-answer')).toContainText(`sample ${offline * 17}`);
    await expect(offlineTurn.getByTestId('ask-source').first()).toContainText(
      `[1] ${docId(offline)}`,
    );
    await offlineTurn.getByTestId('ask-citation').first().click();
    await expect(page.getByTestId('chunk-highlight')).toContainText(`Note ${offline}:`);
  } finally {
    await context.setOffline(false);
  }
});

test('ask: hybrid retrieval embeds the question and sentences with the set model', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-ask-'));
  try {
    const modelDir = await writeTinyModel(root);
    await page.goto('/');
    await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
    await createChunkedDataset(page, 'Notes');
    await embedWithModel(page, modelDir);
    await openNotesAsk(page);
    await expect(page.getByTestId('explore-set')).toHaveValue(MODEL_NAME);

    await page.getByTestId('ask-retriever').selectOption('hybrid');
    await askQuestion(page, documentQuestion(42));
    const turn = page.getByTestId('ask-turn').last();
    await expect(turn.getByTestId('ask-answer')).toContainText(`sample ${42 * 17}`);
    await expect(turn.getByTestId('ask-source').filter({ hasText: docId(42) })).toHaveCount(1);
    // Fused scores, with both the BM25 share and the cosine of the note's own chunk.
    await turn.getByText(/retrieved passages · hybrid/).click();
    await expect(turn.getByRole('columnheader', { name: 'fused' })).toBeVisible();
    const row = turn.getByTestId('ask-passage').filter({ hasText: `${docId(42)}#0` });
    await expect(row.getByRole('cell').nth(3)).toHaveText(/^0\.\d{3}$/);
    await expect(row.getByRole('cell').nth(4)).toHaveText(/^-?[01]\.\d{3}$/);
  } finally {
    await removeTempDir(root);
  }
});
