import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/core/store/index.ts';
import { serializeTokenizerJson, trainTokenizer } from '../../../src/core/tokenizer/train/index.ts';
import { useBackend } from '../../../src/core/train/bert/index.ts';
import { resumeMlmRun, startMlmRun } from '../../../src/core/train/loop/index.ts';
import { tinyConfig, wikiLines } from './fixture.ts';

const lines = wikiLines(60);
let tokenizerJson = '';

beforeAll(async () => {
  await useBackend('wasm');
  tokenizerJson = serializeTokenizerJson(
    (await trainTokenizer(lines, { type: 'wordpiece', vocabSize: 500 })).tokenizerJson,
  );
});

describe('MLM runs in the store', () => {
  it('records the run, metrics and checkpoints; a stopped run resumes to the end', async () => {
    const store = await openStore({ factory: new IDBFactory() });
    const config = tinyConfig((c) => {
      c.data.seq_len = 16;
      c.training.max_steps = 6;
      c.training.checkpoint_every_steps = 1;
    });
    const controller = new AbortController();
    const first = await startMlmRun(
      store,
      { config, corpus: { texts: lines }, tokenizerJson, runId: 'run-1' },
      {
        signal: controller.signal,
        keepCheckpoints: 1,
        onMetrics: (rows) => {
          if (rows.some((r) => r.split === 'train' && r.step === 3)) controller.abort();
        },
      },
    );
    expect(first.status).toBe('stopped');
    expect((await store.getRun('run-1'))?.state).toBe('paused');
    // keepCheckpoints 1: the newest two survive.
    expect((await store.listCheckpoints('run-1')).map((c) => [c.step, c.reason])).toEqual([
      [2, 'interval'],
      [3, 'final'],
    ]);
    const resumed = await resumeMlmRun(store, 'run-1');
    expect(resumed.status).toBe('completed');
    expect(resumed.step).toBe(6);
    expect((await store.getRun('run-1'))?.state).toBe('done');
    const train = (await store.getMetrics('run-1')).filter((m) => m.split === 'train');
    expect(train.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect((await store.latestCheckpoint('run-1'))?.step).toBe(6);
    await store.deleteRun('run-1');
    expect(await store.listCheckpoints('run-1')).toEqual([]);
    store.close();
  });
});
