import * as Comlink from 'comlink';
import { Tokenizer } from '@huggingface/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { isAbortError } from '../../src/core/abort.ts';
import { mulberry32 } from '../../src/core/prepare/index.ts';
import type { Progress } from '../../src/core/progress.ts';
import { openStore } from '../../src/core/store/index.ts';
import { createEncoder, type TrainedTokenizerJson } from '../../src/core/tokenizer/train/index.ts';
import { trainClient } from '../../src/lib/clients.ts';

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'zen', 'qua', 'ël', 'ø'];

/** Seeded pseudo-words in sentences: enough repeated structure for merges to learn. */
function corpus(documents: number, seed: number): string[] {
  const random = mulberry32(seed);
  const pick = () => SYLLABLES[Math.floor(random() * SYLLABLES.length)] ?? 'ka';
  return Array.from({ length: documents }, () =>
    Array.from({ length: 40 }, () => {
      const word = Array.from({ length: 1 + Math.floor(random() * 3) }, pick).join('');
      return random() < 0.1 ? `${word[0]?.toUpperCase() ?? ''}${word.slice(1)},` : word;
    }).join(' '),
  );
}

/**
 * Texts of random-letter words: almost every word is new, so a large vocabulary keeps the BPE
 * trainer merging for many seconds — long enough that an abort always lands mid-run.
 */
function randomWordCorpus(documents: number, seed: number): string[] {
  const random = mulberry32(seed);
  const letter = () => String.fromCharCode(97 + Math.floor(random() * 26));
  return Array.from({ length: documents }, () =>
    Array.from({ length: 40 }, () =>
      Array.from({ length: 3 + Math.floor(random() * 8) }, letter).join(''),
    ).join(' '),
  );
}

/** The real train worker, as the app starts it, on a dataset in the page's IndexedDB. */
describe('train worker', () => {
  let datasetId = '';
  const texts = corpus(400, 3);

  beforeAll(async () => {
    const store = await openStore();
    datasetId = (await store.createDataset(`train worker test ${crypto.randomUUID()}`)).id;
    await store.addDocuments(
      datasetId,
      'h',
      texts.map((text, i) => ({
        id: `d${String(i).padStart(4, '0')}`,
        source: 'c.txt',
        text,
        metadata: {},
      })),
    );
    store.close();
  });

  it('trains WordPiece on a stored dataset and reports coverage', async () => {
    const events: Progress[] = [];
    const result = await trainClient.call((api) =>
      api.trainTokenizer(
        { datasetId },
        { options: { type: 'wordpiece', vocabSize: 400 }, holdOutEvery: 10 },
        undefined,
        Comlink.proxy((e: Progress) => void events.push(e)),
      ),
    );
    expect(result.stats.corpusTexts).toBe(360);
    expect(result.coverage?.texts).toBe(40);
    expect(result.coverage?.unknownRate).toBe(0);
    // Progress comes through its own comlink port, so the last event may land after the result.
    await expect.poll(() => events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });

    const json = JSON.parse(result.files['tokenizer.json']) as TrainedTokenizerJson;
    const config = JSON.parse(result.files['tokenizer_config.json']) as Record<string, unknown>;
    const hf = new Tokenizer(json, config);
    const encoder = createEncoder(json);
    for (const text of corpus(30, 99)) {
      expect(encoder.encode(text).ids).toEqual(hf.encode(text).ids);
    }
  });

  it('trains byte-level BPE on texts sent by the page, and cancels', async () => {
    const result = await trainClient.call((api) =>
      api.trainTokenizer({ texts }, { options: { type: 'bpe', vocabSize: 600, minFrequency: 1 } }),
    );
    expect(Object.keys(JSON.parse(result.files['tokenizer.json']).model.vocab)).toHaveLength(600);

    const controller = new AbortController();
    const big = randomWordCorpus(3000, 7);
    const run = trainClient.call(
      (api) =>
        api.trainTokenizer(
          { texts: big },
          { options: { type: 'bpe', vocabSize: 50_000, minFrequency: 0 } },
          controller.signal,
          // The first report proves the run started; the merges still ahead take far longer
          // than the abort's trip to the worker.
          Comlink.proxy(() => controller.abort()),
        ),
      controller.signal,
    );
    await expect(run).rejects.toSatisfy(isAbortError);
  });
});
