import * as Comlink from 'comlink';
import { beforeAll, describe, expect, it } from 'vitest';
import stsTrain from '../../../shared/datasets/stsb/sts-train.csv?raw';
import stsDev from '../../../shared/datasets/stsb/sts-dev.csv?raw';
import {
  fineTunePreset,
  presetTraining,
  readScoredPairs,
  type FineTuneBase,
  type FineTuneJobRequest,
  type PairExample,
} from '../../src/core/finetune/index.ts';
import { buildSeededModelFolder } from '../../src/core/model/seeded-model-folder.ts';
import type { Progress } from '../../src/core/progress.ts';
import { openStore } from '../../src/core/store/index.ts';
import type { MetricRow } from '../../src/core/store/index.ts';
import type { TrainBackend } from '../../src/core/train/config/index.ts';
import { trainClient } from '../../src/lib/clients.ts';
import { tinyBaseConfigJson } from '../support/tiny-base.ts';
import { minilmTokenizerFiles, minilmTokenizerText } from './minilm-helpers.ts';

/**
 * Sentence-embedding fine-tuning in the real train worker, as the Fine-tune view runs it: a
 * seeded 2-layer BERT over MiniLM's vocabulary, cosine loss on STS-B pairs, on wasm and on webgpu
 * (SwiftShader here), then Stop.
 */

let base: FineTuneBase;
let train: PairExample[];
let dev: PairExample[];

beforeAll(async () => {
  const folder = await buildSeededModelFolder({
    configJson: tinyBaseConfigJson,
    seed: 13,
    tokenizerFiles: minilmTokenizerFiles(['tokenizer.json']),
  });
  base = {
    config: JSON.parse(new TextDecoder().decode(folder.files.get('config.json'))) as Record<
      string,
      unknown
    >,
    safetensors: folder.files.get('model.safetensors') as Uint8Array,
    tokenizer: JSON.parse(minilmTokenizerText) as unknown,
  };
  train = (await readScoredPairs(stsTrain, { file: 'sts-train.csv' })).examples.slice(0, 32);
  dev = (await readScoredPairs(stsDev, { file: 'sts-dev.csv' })).examples.slice(0, 24);
});

function request(backend: TrainBackend, maxSteps: number, name: string): FineTuneJobRequest {
  const preset = fineTunePreset('cosine-scored');
  return {
    base,
    name,
    train,
    evaluation: { kind: 'similarity', pairs: dev },
    loss: preset.loss,
    pooling: preset.pooling,
    training: presetTraining(preset, {
      batch_size: 8,
      epochs: 100,
      max_steps: maxSteps,
      learning_rate: 1e-3,
      warmup_ratio: 0,
      log_every_steps: 1,
      eval_every_steps: 2,
      backend,
    }),
    maxLength: 32,
  };
}

async function run(backend: TrainBackend) {
  const rows: MetricRow[] = [];
  const events: Progress[] = [];
  const result = await trainClient.call((api) =>
    api.fineTune(
      request(backend, 4, `ft-${backend}`),
      undefined,
      Comlink.proxy((e: Progress) => void events.push(e)),
      Comlink.proxy((r: MetricRow[]) => void rows.push(...r)),
    ),
  );
  // Progress and metric rows travel on their own comlink ports and can land after the result.
  await expect.poll(() => events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
  await expect
    .poll(() => rows.filter((r) => r.split === 'validation').map((r) => r.step))
    .toEqual([0, 2, 4]);
  const losses = rows.filter((r) => r.split === 'train').map((r) => r.values['loss'] as number);
  return { result, losses, events };
}

describe('fine-tuning in the train worker', () => {
  it('runs on wasm and webgpu with matching losses, evaluates, reports progress and exports', async () => {
    const wasm = await run('wasm');
    const webgpu = await run('webgpu');
    for (const [backend, { result, losses, events }] of [
      ['wasm', wasm],
      ['webgpu', webgpu],
    ] as const) {
      expect(result.status).toBe('completed');
      expect(result.step).toBe(4);
      expect(losses).toHaveLength(4);
      for (const loss of losses) {
        expect(Number.isFinite(loss) && loss > 0, `${backend}: ${losses.join(' ')}`).toBe(true);
      }
      expect(result.primaryMetric).toBe('spearman');
      expect(result.before?.['spearman']).toBeTypeOf('number');
      expect(result.after?.['spearman']).toBeTypeOf('number');
      expect(events.some((e) => e.status === 'progress' && /Step \d of 4/.test(e.message))).toBe(
        true,
      );
      expect(result.zip.byteLength).toBeGreaterThan(1000);
    }
    console.log(
      `finetune-worker: losses wasm ${wasm.losses.map((l) => l.toFixed(5)).join(' ')}, ` +
        `webgpu ${webgpu.losses.map((l) => l.toFixed(5)).join(' ')}; spearman ` +
        `${wasm.result.before?.['spearman']?.toFixed(4)} → ${wasm.result.after?.['spearman']?.toFixed(4)}`,
    );
    // Same seed, same batches and dropout: the backends agree step by step.
    wasm.losses.forEach((loss, i) =>
      expect(Math.abs((webgpu.losses[i] as number) - loss) / loss).toBeLessThan(1e-3),
    );
    // The exported model is in this browser's model store.
    const store = await openStore();
    try {
      const ids = (await store.listModels()).map((m) => m.id);
      expect(ids).toEqual(expect.arrayContaining([wasm.result.modelId, webgpu.result.modelId]));
    } finally {
      store.close();
    }
  });

  it('stops after the step under way when aborted and still exports the model reached', async () => {
    const controller = new AbortController();
    const rows: MetricRow[] = [];
    const result = await trainClient.call(
      (api) =>
        api.fineTune(
          request('wasm', 200, 'ft-stopped'),
          controller.signal,
          undefined,
          Comlink.proxy((r: MetricRow[]) => {
            rows.push(...r);
            if (r.some((row) => row.split === 'train' && row.step >= 2)) controller.abort();
          }),
        ),
      controller.signal,
      { hardCancelAfterMs: 60_000 },
    );
    expect(result.status).toBe('stopped');
    expect(result.step).toBeGreaterThanOrEqual(2);
    expect(result.step).toBeLessThan(200);
    expect(result.totalSteps).toBe(200);
    expect(result.modelId).toBeTruthy();
  });
});
