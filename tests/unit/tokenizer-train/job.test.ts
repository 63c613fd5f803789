import { describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/core/progress.ts';
import {
  datasetTexts,
  runTokenizerJob,
  trainTokenizer,
  serializeTokenizerJson,
} from '../../../src/core/tokenizer/train/index.ts';
import { storeWithDocuments } from '../store/indexeddb-env.ts';
import { wikiLines } from './corpus.ts';

const LINES = wikiLines('valid', 40_000);

describe('runTokenizerJob', () => {
  it('trains on a stored dataset’s documents, holding out every n-th for coverage', async () => {
    const texts = Object.fromEntries(
      LINES.map((line, i) => [`doc-${String(i).padStart(4, '0')}`, line]),
    );
    const { store, datasetId } = await storeWithDocuments(texts);
    const events: Progress[] = [];
    const result = await runTokenizerJob(
      datasetTexts(store, datasetId),
      { options: { type: 'wordpiece', vocabSize: 800 }, holdOutEvery: 5 },
      { onProgress: (e) => events.push(e) },
    );
    const heldOut = LINES.filter((_, i) => i % 5 === 4);
    const trainedOn = LINES.filter((_, i) => i % 5 !== 4);
    expect(result.coverage?.texts).toBe(heldOut.length);
    expect(result.stats.corpusTexts).toBe(trainedOn.length);
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });

    // The same as training directly on the documents that were not held out.
    const direct = await trainTokenizer(trainedOn, { type: 'wordpiece', vocabSize: 800 });
    expect(result.files['tokenizer.json']).toBe(serializeTokenizerJson(direct.tokenizerJson));
    expect(JSON.parse(result.files['tokenizer_config.json'])).toMatchObject({
      tokenizer_class: 'BertTokenizer',
      model_max_length: 512,
      do_lower_case: true,
    });
    store.close();
  });

  it('has no coverage without held-out text, and rejects holdOutEvery 1', async () => {
    const result = await runTokenizerJob(LINES, { options: { type: 'bpe', vocabSize: 400 } });
    expect(result.coverage).toBeNull();
    await expect(
      runTokenizerJob(LINES, { options: { type: 'bpe', vocabSize: 400 }, holdOutEvery: 1 }),
    ).rejects.toThrow(/holdOutEvery/);
  });
});
