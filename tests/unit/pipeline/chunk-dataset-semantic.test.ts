import { describe, expect, it } from 'vitest';
import { isAbortError } from '../../../src/core/abort.ts';
import { chunkDatasetSemantic } from '../../../src/core/pipeline/chunk-dataset-semantic.ts';
import type { Progress } from '../../../src/core/progress.ts';
import { whitespaceCounter } from '../../../src/core/tokenizer/index.ts';
import { storeWithDocuments } from '../store/indexeddb-env.ts';

const cats = 'The cat sleeps. A kitten plays with the cat. The cat purrs.';
const rockets = 'The rocket roars. A rocket reaches orbit. The rocket lands.';

/** Cat sentences point along x, rocket sentences along y. */
async function embed(texts: string[]): Promise<Float32Array> {
  return Float32Array.from(
    texts.flatMap((t) => [/cat|kitten/u.test(t) ? 1 : 0, /rocket/u.test(t) ? 1 : 0]),
  );
}

describe('chunkDatasetSemantic', () => {
  it('stores semantic chunks of every document and records the settings', async () => {
    const text = `${cats} ${rockets}`;
    const { store, datasetId } = await storeWithDocuments({ a: text, b: 'Alone.' });
    const events: Progress[] = [];
    const result = await chunkDatasetSemantic(
      store,
      datasetId,
      { chunkTokens: 64, bufferSentences: 0 },
      whitespaceCounter,
      embed,
      { onProgress: (e) => events.push(e), modelName: 'fake-model', batchSize: 1 },
    );
    expect(result).toMatchObject({ documents: 2, chunks: 3 });
    const chunks = await store.listChunks(datasetId, 'a');
    expect(chunks.map((c) => c.text)).toEqual([cats, rockets]);
    for (const c of chunks) expect(text.slice(c.charStart, c.charEnd)).toBe(c.text);
    const dataset = await store.getDataset(datasetId);
    expect(dataset?.chunkCount).toBe(3);
    expect(dataset?.chunking).toEqual({
      mode: 'semantic',
      chunkTokens: 64,
      overlapTokens: 0,
      threshold: { kind: 'percentile', value: 95 },
      bufferSentences: 0,
      model: 'fake-model',
    });
    expect(dataset?.tokenizer).toBe('whitespace');
    const fractions = events.flatMap((e) => (e.status === 'progress' ? [e.fraction] : []));
    expect(fractions).toEqual([...fractions].sort((x, y) => x - y));
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
  });

  it('stops on abort and leaves the settings unrecorded', async () => {
    const { store, datasetId } = await storeWithDocuments({ a: `${cats} ${rockets}` });
    const controller = new AbortController();
    const error: unknown = await chunkDatasetSemantic(
      store,
      datasetId,
      { chunkTokens: 64 },
      whitespaceCounter,
      async (texts) => {
        controller.abort();
        return embed(texts);
      },
      { signal: controller.signal },
    ).catch((e: unknown) => e);
    expect(isAbortError(error)).toBe(true);
    expect((await store.getDataset(datasetId))?.chunking).toBeUndefined();
  });
});
