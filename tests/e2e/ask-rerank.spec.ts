import { expect, test, type Locator, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSeededDecoderFolder } from '../../src/core/model/decoder/decoder-folder.ts';
import { buildSeededCrossEncoderFolder } from '../../src/core/model/seeded-cross-encoder-folder.ts';
import { CrossEncoderReranker } from '../../src/core/rag/cross-encoder.ts';
import { decoderTokenizer, tinyDecoderConfig } from '../unit/decoder/fixtures.ts';
import { writeFolder } from '../unit/decoder/write-folder.ts';
import { createChunkedDataset, documentQuestion, documentText } from './embedding-fixtures.ts';
import { askQuestion, openAsk, removeTempDir, sharedDir } from './helpers.ts';

const NAME = 'seeded-cross-encoder';
const DECODER = 'scripted-decoder';
/** What the scripted seeded decoder says, citing its first source. */
const SCRIPTED = ' Sunlight helps the skin [1].';

async function writeDecoder(root: string): Promise<void> {
  const tokenizer = await decoderTokenizer();
  const decoder = await buildSeededDecoderFolder({
    config: tinyDecoderConfig(tokenizer, { tieWordEmbeddings: false, nPositions: 1024 }),
    seed: 3,
    tokenizer,
    scriptedText: SCRIPTED,
  });
  await writeFolder(join(root, DECODER), decoder.files);
}

/** A seeded BertForSequenceClassification folder with MiniLM's tokenizer, shrunk for speed. */
async function writeCrossEncoder(root: string): Promise<Map<string, Uint8Array>> {
  const minilm = join(sharedDir, 'models/all-MiniLM-L6-v2');
  const config = JSON.parse(readFileSync(join(minilm, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const folder = await buildSeededCrossEncoderFolder({
    // A wider init than HF's 0.02 spreads the seeded logits apart, so the order is clear-cut.
    configJson: {
      ...config,
      num_hidden_layers: 2,
      hidden_size: 32,
      num_attention_heads: 4,
      intermediate_size: 64,
      initializer_range: 0.2,
    },
    seed: 11,
    tokenizerFiles: new Map(
      ['tokenizer.json', 'tokenizer_config.json'].map((name) => [
        name,
        new Uint8Array(readFileSync(join(minilm, name))),
      ]),
    ),
  });
  await writeFolder(join(root, NAME), folder.files);
  return folder.files;
}

/** Asks and opens the new turn's table of retrieved passages. */
async function askShowingPassages(page: Page, question: string): Promise<Locator> {
  const turn = await askQuestion(page, question);
  await turn.getByText(/retrieved passages/).click();
  return turn;
}

/** The chunk ids of a turn's passages table, top to bottom. */
async function passageIds(turn: Locator): Promise<string[]> {
  return turn.getByTestId('ask-passage').locator('td:nth-child(2)').allTextContents();
}

async function numbers(cells: Locator): Promise<number[]> {
  return (await cells.allTextContents()).map((text) => Number(text));
}

test('ask re-ranked by a seeded cross-encoder folder: new order, both scores shown', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const root = mkdtempSync(join(tmpdir(), 'lumina-ask-rerank-'));
  try {
    const files = await writeCrossEncoder(root);
    await page.goto('/');
    await page.getByRole('navigation').getByRole('button', { name: 'Library' }).click();
    await createChunkedDataset(page, 'Notes');
    await openAsk(page);
    await page.getByText('Advanced').click();
    await page.getByTestId('ask-mmr').uncheck();
    // The seeded scores may push the note that answers out of the top k; never abstain here.
    await page.getByTestId('ask-threshold-lexical').fill('0');
    await expect(page.getByTestId('ask-reranker-kind')).toHaveValue('off');

    const question = documentQuestion(100);
    const plain = await askShowingPassages(page, question);
    const plainIds = await passageIds(plain);
    expect(plainIds).toHaveLength(5);
    await expect(plain.getByTestId('ask-passage-rerank-score')).toHaveCount(0);

    // Asking with the setting on but nothing loaded says so instead of ranking without it.
    await page.getByTestId('ask-reranker-kind').selectOption('folder');
    await page.getByTestId('ask-question').fill(question);
    await page.getByTestId('ask-submit').click();
    await expect(page.getByRole('alert')).toContainText('Load the cross-encoder first');

    await page.getByTestId('ask-reranker-folder').setInputFiles(join(root, NAME));
    await expect(page.getByTestId('ask-reranker-folder-name')).toContainText(NAME);
    await page.getByTestId('ask-reranker-device').selectOption('wasm');
    await page.getByTestId('ask-reranker-load').click();
    await expect(page.getByTestId('ask-reranker-info')).toContainText(`${NAME} on wasm`);
    await expect(page.getByTestId('ask-reranker-seeded')).toContainText('scores are meaningless');

    const reranked = await askShowingPassages(page, question);
    await expect(reranked.getByText(/retrieved passages/)).toContainText(
      `re-ranked by ${NAME} (seeded: scores meaningless)`,
    );
    const ids = await passageIds(reranked);
    const crossScores = await numbers(reranked.getByTestId('ask-passage-rerank-score'));
    const retrievalScores = await numbers(reranked.getByTestId('ask-passage-retrieval-score'));
    expect(ids).toHaveLength(5);
    expect(ids).not.toEqual(plainIds);
    expect(retrievalScores.every((s) => Number.isFinite(s) && s > 0)).toBe(true);
    // Listed in the cross-encoder's order, highest first.
    expect(crossScores).toEqual([...crossScores].sort((a, b) => b - a));

    // The scores shown are the cross-encoder's, computed here by the same folder in Node.
    const reference = await CrossEncoderReranker.load({ kind: 'files', files, name: NAME });
    try {
      const texts = ids.map((id) => documentText(Number(id.slice(1, id.indexOf('#')))));
      const expected = await reference.rerank(question, texts);
      crossScores.forEach((score, i) => expect(score).toBeCloseTo(expected[i] ?? Number.NaN, 2));
    } finally {
      await reference.dispose();
    }
    // The answer's numbered sources follow the re-ranked order: [n] is the n-th passage listed.
    const cited = await reranked.getByTestId('ask-source').allTextContents();
    expect(cited.length).toBeGreaterThan(0);
    for (const line of cited) {
      const [, n, doc] = /^\s*\[(\d+)\]\s+(\S+)/.exec(line) ?? [];
      expect(ids[Number(n) - 1]).toBe(`${doc}#0`);
    }

    // The transcript records the reranker and both scores of each passage.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('ask-export-jsonl').click(),
    ]);
    const last = (await readFile(await download.path(), 'utf8')).trimEnd().split('\n').at(-1);
    const line = JSON.parse(last ?? '{}') as {
      options: { reranker?: { model: string; device: string; seeded: boolean } };
      passages: { chunkId: string; score: number; retrievalScore: number | null }[];
    };
    expect(line.options.reranker).toEqual({ model: NAME, device: 'wasm', seeded: true });
    expect(line.passages.map((p) => p.chunkId)).toEqual(ids);
    expect(line.passages.map((p) => p.retrievalScore)).toEqual(
      retrievalScores.map((score) => expect.closeTo(score, 3)),
    );

    // A generated answer retrieves in the generate worker, re-ranked by the same loaded model.
    await writeDecoder(root);
    await page.getByTestId('ask-answerer').selectOption('generator');
    await page.getByTestId('ask-generator-kind').selectOption('folder');
    await page.getByTestId('ask-generator-folder').setInputFiles(join(root, DECODER));
    await page.getByTestId('ask-generator-device').selectOption('wasm');
    await page.getByTestId('ask-generator-load').click();
    await expect(page.getByTestId('ask-generator-info')).toContainText('on wasm');
    const generated = await askShowingPassages(page, question);
    await expect(generated.getByTestId('ask-answer')).toHaveText(SCRIPTED.trim());
    expect(await passageIds(generated)).toEqual(ids);
    expect(await numbers(generated.getByTestId('ask-passage-rerank-score'))).toEqual(crossScores);
    await expect(generated.getByTestId('ask-source').first()).toContainText(
      `[1] ${ids[0]?.split('#')[0] ?? '—'}`,
    );

    // Turning re-ranking off unloads the cross-encoder: retrieval order is back, and turning it on
    // again asks for a fresh load instead of using a model that is gone.
    await page.getByTestId('ask-answerer').selectOption('extractive');
    await page.getByTestId('ask-reranker-kind').selectOption('off');
    await expect(page.getByTestId('ask-reranker-info')).toHaveCount(0);
    const off = await askShowingPassages(page, question);
    expect(await passageIds(off)).toEqual(plainIds);
    await expect(off.getByTestId('ask-passage-rerank-score')).toHaveCount(0);
    await page.getByTestId('ask-reranker-kind').selectOption('folder');
    await page.getByTestId('ask-question').fill(question);
    await page.getByTestId('ask-submit').click();
    await expect(page.getByRole('alert')).toContainText('Load the cross-encoder first');
  } finally {
    await removeTempDir(root);
  }
});
