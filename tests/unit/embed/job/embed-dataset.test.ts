import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cancelEmbedJob,
  embedDataset,
  getEmbedJob,
  type EmbedProgress,
} from '../../../../src/core/embed/job/index.ts';
import { EMBEDDING_BLOCK_ROWS, type LuminaStore } from '../../../../src/core/store/index.ts';
import {
  fakeRunner,
  fakeVector,
  openTestStore,
  readSet,
  seedCorpus,
  setDiff,
  type Corpus,
} from './fixtures.ts';

const options = { tokenBudget: 256, maxTokens: 64, windowSize: 300 };

let store: LuminaStore;
let corpus: Corpus;
beforeEach(async () => {
  store = await openTestStore();
  corpus = await seedCorpus(store, 500, 9);
});
afterEach(() => store.close());

function normalized(values: Float64Array): Float64Array {
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  return values.map((v) => v / norm);
}

describe('embedDataset', () => {
  it('stores every chunk once in full blocks, with document averages and a done job', async () => {
    const total = corpus.texts.size;
    expect(total).toBeGreaterThan(2 * EMBEDDING_BLOCK_ROWS);
    const events: EmbedProgress[] = [];
    const runner = fakeRunner();
    const result = await embedDataset(store, corpus.dataset.id, runner, options, {
      onProgress: (event) => events.push(event),
    });

    expect(result).toMatchObject({ setId: 'fake/model', chunks: total, dims: 8, resumed: false });
    expect(runner.embedded).toHaveLength(total);
    const rows = await readSet(store, corpus.dataset.id, 'fake/model');
    expect([...rows.keys()].sort()).toEqual([...corpus.texts.keys()].sort());
    for (const [id, vector] of rows) {
      expect(vector).toEqual(fakeVector(corpus.texts.get(id) ?? '', 8));
    }
    const blocks = await store.listEmbeddingBlocks(corpus.dataset.id, 'fake/model');
    expect(blocks.map((b) => b.count)).toEqual([
      EMBEDDING_BLOCK_ROWS,
      EMBEDDING_BLOCK_ROWS,
      total - 2 * EMBEDDING_BLOCK_ROWS,
    ]);
    // Rows past `count` stay zero padding.
    const last = blocks.at(-1);
    expect(last?.vectors.subarray(last.count * 8).every((v) => v === 0)).toBe(true);

    // Averages: one row per document that has chunks, normalised like the runner's vectors.
    expect(result.missingDocuments).toEqual([corpus.emptyDocId]);
    expect(result.documents).toBe(corpus.docChunks.size);
    const docs = await readSet(store, corpus.dataset.id, result.documentSetId);
    expect(result.documentSetId).toBe('fake/model:docs');
    expect(docs.has(corpus.emptyDocId)).toBe(false);
    const docIds = [...docs.keys()];
    expect(docIds).toEqual([...docIds].sort());
    for (const [docId, chunkIds] of corpus.docChunks) {
      const sum = new Float64Array(8);
      for (const id of chunkIds) {
        fakeVector(corpus.texts.get(id) ?? '', 8).forEach((v, d) => (sum[d] = (sum[d] ?? 0) + v));
      }
      const expected = normalized(sum.map((v) => v / chunkIds.length));
      const stored = docs.get(docId);
      expect(stored).toBeDefined();
      stored?.forEach((v, d) => expect(v).toBeCloseTo(expected[d] ?? NaN, 6));
    }

    const saved = await getEmbedJob(store, corpus.dataset.id, 'fake/model');
    expect(saved?.job).toMatchObject({ kind: 'embed', state: 'done' });
    expect(saved?.cursor).toMatchObject({
      modelId: 'fake/model',
      dims: 8,
      total,
      rows: total,
      chunksDone: true,
      documents: corpus.docChunks.size,
      missingDocuments: 1,
      settings: { tokenBudget: 256, maxTokens: 64, normalize: true, windowSize: 300 },
    });

    // Progress: starts at 0, never goes backwards, counts every chunk, ends at 1.
    expect(events[0]).toMatchObject({ status: 'start', fraction: 0, done: 0, total });
    const fractions = events.map((e) => e.fraction);
    fractions.forEach((f, i) => expect(f).toBeGreaterThanOrEqual(fractions[i - 1] ?? 0));
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1, done: total });
    const progress = events.filter((e) => e.status === 'progress');
    expect(progress.at(-1)?.done).toBe(total);
    for (const event of progress) {
      expect(event.batchSize).toBeGreaterThan(0);
      expect(event.tokensPerSecond).toBeGreaterThan(0);
      expect(event.device).toBe('wasm');
    }
    expect(events.some((e) => e.status === 'documents')).toBe(true);
  });

  it('pauses on abort and resumes to the same vectors as an uninterrupted run', async () => {
    await embedDataset(store, corpus.dataset.id, fakeRunner(), { ...options, setId: 'whole' });

    const controller = new AbortController();
    const first = fakeRunner({ beforeCall: (call) => call === 12 && controller.abort() });
    await expect(
      embedDataset(
        store,
        corpus.dataset.id,
        first,
        { ...options, setId: 'cut' },
        {
          signal: controller.signal,
        },
      ),
    ).rejects.toThrow(/abort/i);
    const paused = await getEmbedJob(store, corpus.dataset.id, 'cut');
    expect(paused?.job.state).toBe('paused');
    // The batch in flight when the abort came was not stored.
    expect(paused?.cursor.rows).toBe(first.embedded.length - (first.batchSizes.at(-1) ?? 0));
    expect(paused?.cursor.rows).toBeGreaterThan(0);
    expect(paused?.cursor.rows).toBeLessThan(corpus.texts.size);
    expect((await readSet(store, corpus.dataset.id, 'cut')).size).toBe(paused?.cursor.rows);

    const second = fakeRunner();
    const events: EmbedProgress[] = [];
    const result = await embedDataset(
      store,
      corpus.dataset.id,
      second,
      { ...options, setId: 'cut', resume: true },
      { onProgress: (event) => events.push(event) },
    );
    expect(result.resumed).toBe(true);
    expect(result.chunks).toBe(corpus.texts.size);
    // Only what was not stored is embedded again.
    expect(second.embedded.length).toBe(corpus.texts.size - (paused?.cursor.rows ?? 0));
    expect(events[0]).toMatchObject({ status: 'start', done: paused?.cursor.rows });

    const whole = await readSet(store, corpus.dataset.id, 'whole');
    const cut = await readSet(store, corpus.dataset.id, 'cut');
    expect(setDiff(whole, cut)).toBeLessThanOrEqual(1e-6);
    expect(
      setDiff(
        await readSet(store, corpus.dataset.id, 'whole:docs'),
        await readSet(store, corpus.dataset.id, 'cut:docs'),
      ),
    ).toBeLessThanOrEqual(1e-6);
    expect((await getEmbedJob(store, corpus.dataset.id, 'cut'))?.job.state).toBe('done');
  });

  it('marks a crashed job failed and resumes it to exactly-once, equal vectors', async () => {
    await embedDataset(store, corpus.dataset.id, fakeRunner(), { ...options, setId: 'whole' });
    const crashing = fakeRunner({ crashOnCall: 7 });
    await expect(
      embedDataset(store, corpus.dataset.id, crashing, { ...options, setId: 'crash' }),
    ).rejects.toThrow('The worker crashed');
    const failed = await getEmbedJob(store, corpus.dataset.id, 'crash');
    expect(failed?.job).toMatchObject({ state: 'failed', error: 'The worker crashed' });
    expect(failed?.cursor.rows).toBe(crashing.embedded.length);

    const resumed = fakeRunner();
    await embedDataset(store, corpus.dataset.id, resumed, {
      ...options,
      setId: 'crash',
      resume: true,
    });
    expect(resumed.embedded.length + crashing.embedded.length).toBe(corpus.texts.size);
    expect(
      setDiff(
        await readSet(store, corpus.dataset.id, 'whole'),
        await readSet(store, corpus.dataset.id, 'crash'),
      ),
    ).toBeLessThanOrEqual(1e-6);
  });

  it('resumes a job left running by a closed tab, past a finished window', async () => {
    // Crash right after the first window's last batch: the cursor has moved to window two.
    const windowed = { ...options, windowSize: 50, setId: 's' };
    const probe = fakeRunner();
    let firstWindowCalls = 0;
    await embedDataset(store, corpus.dataset.id, probe, windowed, {
      onProgress: (event) => {
        if (event.status === 'progress' && event.done === 50 && firstWindowCalls === 0) {
          firstWindowCalls = probe.calls;
        }
      },
    });
    expect(firstWindowCalls).toBeGreaterThan(0);
    await expect(
      embedDataset(
        store,
        corpus.dataset.id,
        fakeRunner({ crashOnCall: firstWindowCalls + 1 }),
        windowed,
      ),
    ).rejects.toThrow('crashed');
    const left = await getEmbedJob(store, corpus.dataset.id, 's');
    expect(left?.cursor).toMatchObject({ rows: 50, windowStartRow: 50 });
    const job = left?.job;
    if (!job) throw new Error('no job');
    await store.putJob({ ...job, state: 'running' });

    const rest = fakeRunner();
    const result = await embedDataset(store, corpus.dataset.id, rest, {
      ...windowed,
      resume: true,
    });
    expect(rest.embedded).toHaveLength(corpus.texts.size - 50);
    expect(result.chunks).toBe(corpus.texts.size);
    expect((await readSet(store, corpus.dataset.id, 's')).size).toBe(corpus.texts.size);
  });

  it('starts over without resume, and refuses to resume with another model', async () => {
    const controller = new AbortController();
    await expect(
      embedDataset(
        store,
        corpus.dataset.id,
        fakeRunner({ beforeCall: (call) => call === 3 && controller.abort() }),
        options,
        { signal: controller.signal },
      ),
    ).rejects.toThrow(/abort/i);
    const other = { ...fakeRunner(), modelId: 'fake/model', dims: 4 };
    await expect(
      embedDataset(store, corpus.dataset.id, other, { ...options, resume: true }),
    ).rejects.toThrow(/cannot be resumed/);

    const fresh = fakeRunner();
    const result = await embedDataset(store, corpus.dataset.id, fresh, options);
    expect(result.resumed).toBe(false);
    expect(fresh.embedded).toHaveLength(corpus.texts.size);
    expect((await readSet(store, corpus.dataset.id, 'fake/model')).size).toBe(corpus.texts.size);
  });

  it('cancels: the job is marked cancelled and its partial vectors are deleted', async () => {
    const controller = new AbortController();
    await expect(
      embedDataset(
        store,
        corpus.dataset.id,
        fakeRunner({ beforeCall: (call) => call === 5 && controller.abort() }),
        options,
        { signal: controller.signal },
      ),
    ).rejects.toThrow(/abort/i);
    expect((await store.listEmbeddingBlocks(corpus.dataset.id, 'fake/model')).length).toBe(1);
    await cancelEmbedJob(store, corpus.dataset.id, 'fake/model');
    expect((await getEmbedJob(store, corpus.dataset.id, 'fake/model'))?.job.state).toBe(
      'cancelled',
    );
    expect(await store.listEmbeddingSetIds(corpus.dataset.id)).toEqual([]);

    // A cancelled job is not resumed: resume starts over.
    const fresh = fakeRunner();
    const result = await embedDataset(store, corpus.dataset.id, fresh, {
      ...options,
      resume: true,
    });
    expect(result.resumed).toBe(false);
    expect(fresh.embedded).toHaveLength(corpus.texts.size);
  });
});
