import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  embedDataset,
  getEmbedJob,
  runnerFromModel,
  type EmbeddingRunner,
} from '../../../../src/core/embed/job/index.ts';
import { EmbeddingModel } from '../../../../src/core/embed/runtime/index.ts';
import type { LuminaStore } from '../../../../src/core/store/index.ts';
import { tinySeededModel } from '../../../support/shared-data.ts';
import { openTestStore, readSet, seedCorpus, setDiff } from './fixtures.ts';

/**
 * The job on the real runtime (onnxruntime-node standing in for wasm) with a tiny seeded
 * Lumina-written model: an interrupted and resumed job gives the vectors of an uninterrupted one.
 */
let model: EmbeddingModel;
let store: LuminaStore;

beforeAll(async () => {
  const folder = await tinySeededModel(5);
  model = await EmbeddingModel.load(
    { kind: 'files', files: folder.files, name: 'tiny' },
    { maxTokens: 64 },
  );
  store = await openTestStore();
});

afterAll(async () => {
  store.close();
  await model.dispose();
});

describe('embedDataset with EmbeddingModel', () => {
  it('resumes an interrupted job to the vectors of an uninterrupted one', async () => {
    const corpus = await seedCorpus(store, 40, 4, 11);
    const options = { tokenBudget: 256, maxTokens: 64, windowSize: 30 };
    const runner = runnerFromModel(model);
    expect(runner).toMatchObject({ modelId: 'tiny', dims: 32, device: 'wasm', normalize: true });

    const whole = await embedDataset(store, corpus.dataset.id, runner, {
      ...options,
      setId: 'whole',
    });
    expect(whole.chunks).toBe(corpus.texts.size);

    const controller = new AbortController();
    let calls = 0;
    const interrupted: EmbeddingRunner = {
      ...runner,
      embed: (texts, signal) => {
        calls += 1;
        if (calls === 4) controller.abort();
        return runner.embed(texts, signal);
      },
    };
    await expect(
      embedDataset(
        store,
        corpus.dataset.id,
        interrupted,
        { ...options, setId: 'cut' },
        {
          signal: controller.signal,
        },
      ),
    ).rejects.toThrow(/abort/i);
    const paused = await getEmbedJob(store, corpus.dataset.id, 'cut');
    expect(paused?.job.state).toBe('paused');
    expect(paused?.cursor.rows).toBeGreaterThan(0);
    expect(paused?.cursor.rows).toBeLessThan(corpus.texts.size);

    const resumed = await embedDataset(store, corpus.dataset.id, runner, {
      ...options,
      setId: 'cut',
      resume: true,
    });
    expect(resumed).toMatchObject({ resumed: true, chunks: corpus.texts.size });
    expect(resumed.missingDocuments).toEqual([corpus.emptyDocId]);

    const a = await readSet(store, corpus.dataset.id, 'whole');
    const b = await readSet(store, corpus.dataset.id, 'cut');
    expect(a.size).toBe(corpus.texts.size);
    expect(setDiff(a, b)).toBeLessThanOrEqual(1e-6);
    const docs = await readSet(store, corpus.dataset.id, 'cut:docs');
    expect(docs.size).toBe(40);
    expect(
      setDiff(await readSet(store, corpus.dataset.id, 'whole:docs'), docs),
    ).toBeLessThanOrEqual(1e-6);
    // The stored chunk vectors are the model's own for those texts.
    const [firstId] = a.keys();
    const text = corpus.texts.get(firstId ?? '') ?? '';
    const direct = await model.embed([text], 'document');
    expect(
      setDiff(
        new Map([['x', direct]]),
        new Map([['x', a.get(firstId ?? '') ?? new Float32Array()]]),
      ),
    ).toBeLessThanOrEqual(1e-5);
  });
});
