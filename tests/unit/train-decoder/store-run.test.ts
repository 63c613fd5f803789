import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/core/store/index.ts';
import { useBackend } from '../../../src/core/train/bert/index.ts';
import {
  DECODER_RUN_KIND,
  decoderRunFolder,
  resumeDecoderRun,
  startDecoderRun,
} from '../../../src/core/train/decoder/index.ts';
import { repeatedCorpus, tinyDecoderTrainConfig } from './fixture.ts';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('decoder runs in the store', () => {
  it('trains its tokenizer, records the run, resumes, and exports the generation folder', async () => {
    const store = await openStore({ factory: new IDBFactory() });
    const config = tinyDecoderTrainConfig((c) => {
      c.training.max_steps = 6;
      c.training.epochs = 10;
      c.training.checkpoint_every_steps = 2;
    });
    const controller = new AbortController();
    const first = await startDecoderRun(
      store,
      { config, corpus: { texts: repeatedCorpus(4) }, vocabSize: 400, runId: 'clm-1' },
      {
        signal: controller.signal,
        onMetrics: (rows) => {
          if (rows.some((r) => r.split === 'train' && r.step === 3)) controller.abort();
        },
      },
    );
    expect(first.status).toBe('stopped');
    const run = await store.getRun('clm-1');
    expect(run).toMatchObject({ kind: DECODER_RUN_KIND, state: 'paused' });
    const tokenizer = JSON.parse((run?.config as { tokenizerJson: string }).tokenizerJson) as {
      added_tokens: { content: string }[];
    };
    expect(tokenizer.added_tokens.map((t) => t.content)).toContain('<|assistant|>');

    const resumed = await resumeDecoderRun(store, 'clm-1');
    expect(resumed).toMatchObject({ status: 'completed', step: 6 });
    expect(
      (await store.getMetrics('clm-1')).filter((m) => m.split === 'train').map((m) => m.step),
    ).toEqual([1, 2, 3, 4, 5, 6]);

    const { files, step } = await decoderRunFolder(store, 'clm-1', undefined, 'tiny decoder');
    expect(step).toBe(6);
    const hfConfig = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<
      string,
      unknown
    >;
    expect(hfConfig).toMatchObject({
      lumina_trained: true,
      lumina_name: 'tiny decoder',
      vocab_size: 400,
    });
    expect(files.has('onnx/model.onnx')).toBe(true);
    await expect(resumeDecoderRun(store, 'nope')).rejects.toThrow(/does not exist/);
    store.close();
  });
});
