import { expect, type Page } from '@playwright/test';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSeededModelFolder } from '../../src/core/model/index.ts';
import { sharedDir, waitForJobDone } from './helpers.ts';

/** A notes dataset and a tiny seeded model shared by the embedding and explore flows. */
export const MODEL_NAME = 'tiny-minilm';
export const DOCUMENTS = 300;
const TOPICS = ['proteins', 'galaxies', 'volcanoes', 'enzymes', 'glaciers', 'neurons', 'comets'];
const VERBS = ['shape', 'warm', 'slow', 'trigger', 'reveal', 'limit', 'predict'];
const OBJECTS = ['climate', 'memory', 'growth', 'orbits', 'erosion', 'signals', 'metabolism'];

/** The MiniLM layout with seeded random weights, shrunk so it embeds quickly on WASM. */
export async function writeTinyModel(root: string): Promise<string> {
  const minilm = join(sharedDir, 'models/all-MiniLM-L6-v2');
  const tokenizerFiles = new Map<string, Uint8Array>();
  for (const name of [
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'vocab.txt',
  ])
    tokenizerFiles.set(name, readFileSync(join(minilm, name)));
  const config = JSON.parse(readFileSync(join(minilm, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  const folder = await buildSeededModelFolder({
    configJson: {
      ...config,
      num_hidden_layers: 2,
      hidden_size: 32,
      num_attention_heads: 4,
      intermediate_size: 64,
    },
    seed: 7,
    tokenizerFiles,
  });
  const dir = join(root, MODEL_NAME);
  for (const [path, bytes] of folder.files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), bytes);
  }
  return dir;
}

export function documentText(i: number): string {
  const pick = (list: string[], n: number) => list[n % list.length] ?? '';
  return `Note ${i}: ${pick(TOPICS, i)} ${pick(VERBS, i * 3 + 1)} ${pick(OBJECTS, i * 5 + 2)} in sample ${i * 17} while ${pick(TOPICS, i + 3)} ${pick(VERBS, i)} ${pick(OBJECTS, i + 1)}.`;
}

/** The question a note answers (a metadata field, for Q&A retrieval). */
export function documentQuestion(i: number): string {
  return `Which note reports sample ${i * 17}?`;
}

export const docId = (i: number): string => `d${String(i).padStart(3, '0')}`;

const noteRecords = Array.from({ length: DOCUMENTS }, (_, i) => ({
  _id: docId(i),
  text: documentText(i),
  question: documentQuestion(i),
}));

/**
 * A dataset with the notes (and any `extra` records), chunked with the MiniLM tokenizer into one
 * chunk each.
 */
export async function createChunkedDataset(
  page: Page,
  name: string,
  extra: readonly Record<string, string>[] = [],
): Promise<void> {
  const total = DOCUMENTS + extra.length;
  const jsonl = [...noteRecords, ...extra].map((record) => JSON.stringify(record)).join('\n');
  await page.getByLabel('New dataset name').fill(name);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByTestId('dataset-title')).toHaveText(name);
  await page.getByTestId('file-input').setInputFiles({
    name: 'notes.jsonl',
    mimeType: 'application/x-ndjson',
    buffer: Buffer.from(jsonl),
  });
  await waitForJobDone(page);
  await page.getByTestId('tokenizer-select').selectOption({ label: 'all-MiniLM-L6-v2' });
  await page.getByTestId('chunk-tokens').fill('128');
  await page.getByTestId('chunk-overlap').fill('0');
  await page.getByRole('button', { name: 'Chunk dataset' }).click();
  await waitForJobDone(page);
  await expect(page.getByTestId('dataset-counts')).toContainText(
    `${total} documents · ${total} chunks`,
  );
}

/** Picks the model folder and WASM; a budget of one chunk per batch makes many small batches. */
export async function chooseModel(page: Page, modelDir: string): Promise<void> {
  await page.getByTestId('model-kind').selectOption('folder');
  await page.getByTestId('model-folder-input').setInputFiles(modelDir);
  await expect(page.getByTestId('model-folder-name')).toContainText(MODEL_NAME);
  await page.getByTestId('device-select').selectOption('wasm');
  await page.getByTestId('token-budget').fill('16');
}

/**
 * Picks the model folder, embeds the selected dataset in large batches and waits until all
 * `chunks` are stored.
 */
export async function embedWithModel(
  page: Page,
  modelDir: string,
  chunks = DOCUMENTS,
): Promise<void> {
  await chooseModel(page, modelDir);
  await page.getByTestId('token-budget').fill('4096');
  await page.getByRole('button', { name: 'Start embedding' }).click();
  await expect(page.getByTestId('embed-notice')).toContainText(`Embedded ${chunks} chunks`, {
    timeout: 120_000,
  });
}
