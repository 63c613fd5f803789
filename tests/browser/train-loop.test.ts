import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import wikitextValid from '../../../shared/datasets/wikitext-2/valid.txt?raw';
import type { Progress } from '../../src/core/progress.ts';
import type { MetricRow } from '../../src/core/store/index.ts';
import {
  defaultTrainConfigCopy,
  type TrainBackend,
  type TrainConfig,
} from '../../src/core/train/config/index.ts';
import { trainClient } from '../../src/lib/clients.ts';

/**
 * MLM pretraining in the real train worker (IndexedDB run, metrics and checkpoints) on wasm and on
 * webgpu (SwiftShader here): the same seed gives the same loss curve on both backends.
 */

const lines = wikitextValid
  .split('\n')
  .filter((line) => line.trim().length > 0)
  .slice(0, 120);

function tinyConfig(backend: TrainBackend): TrainConfig {
  const config = defaultTrainConfigCopy();
  Object.assign(config.model, { d_model: 32, n_layers: 2, n_heads: 4, d_ff: 64, max_seq_len: 32 });
  Object.assign(config.data, { seq_len: 16, split: { train: 0.9, validation: 0.1, test: 0 } });
  Object.assign(config.training, {
    batch_size: 4,
    epochs: 1,
    max_steps: 4,
    learning_rate: 1e-3,
    warmup_steps: 0,
    warmup_ratio: 0,
    log_every_steps: 1,
    eval_every_steps: 0,
    checkpoint_every_steps: 2,
    backend,
  });
  return config;
}

interface BackendRun {
  runId: string;
  losses: number[];
  gradNorms: number[];
  valLoss: number;
  tokensPerSecond: number;
  detail: string;
}

async function run(backend: TrainBackend, tokenizerJson: string): Promise<BackendRun> {
  const rows: MetricRow[] = [];
  const events: Progress[] = [];
  const result = await trainClient.call((api) =>
    api.startRun(
      {
        objective: 'mlm',
        run: { config: tinyConfig(backend), corpus: { texts: lines }, tokenizerJson },
      },
      undefined,
      Comlink.proxy((e: Progress) => void events.push(e)),
      Comlink.proxy((r: MetricRow[]) => void rows.push(...r)),
    ),
  );
  expect(result.status).toBe('completed');
  expect(result.backend.name).toBe(backend);
  // Progress and metric rows come through their own comlink ports and may land after the result.
  await expect.poll(() => events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
  const losses = rows.filter((r) => r.split === 'train').map((r) => r.values['loss'] ?? NaN);
  const gradNorms = rows
    .filter((r) => r.split === 'train')
    .map((r) => r.values['grad_norm'] ?? NaN);
  expect(losses).toHaveLength(4);
  return {
    runId: result.runId,
    losses,
    gradNorms,
    valLoss: result.summary.lastValidation?.loss ?? NaN,
    tokensPerSecond: result.summary.tokensPerSecond,
    detail: result.backend.detail,
  };
}

describe('MLM training in the train worker', () => {
  it('trains on wasm and webgpu with matching losses, and keeps runs, metrics and checkpoints', async () => {
    const tokenizer = await trainClient.call((api) =>
      api.trainTokenizer({ texts: lines }, { options: { type: 'wordpiece', vocabSize: 400 } }),
    );
    const tokenizerJson = tokenizer.files['tokenizer.json'];
    const wasm = await run('wasm', tokenizerJson);
    const webgpu = await run('webgpu', tokenizerJson);
    let maxRel = 0;
    wasm.losses.forEach((loss, i) => {
      maxRel = Math.max(maxRel, Math.abs((webgpu.losses[i] ?? 0) - loss) / loss);
    });
    console.log(
      `train-loop: wasm (${wasm.detail}) ${Math.round(wasm.tokensPerSecond)} tokens/s, ` +
        `webgpu (${webgpu.detail}) ${Math.round(webgpu.tokensPerSecond)} tokens/s; ` +
        `losses wasm ${wasm.losses.map((l) => l.toFixed(5)).join(' ')}, ` +
        `webgpu ${webgpu.losses.map((l) => l.toFixed(5)).join(' ')}; max relative diff ${maxRel.toExponential(2)}`,
    );
    expect(maxRel).toBeLessThan(1e-4);
    // Clipping needs the global gradient norm; it once came out 0 on webgpu (tf.addN).
    webgpu.gradNorms.forEach((norm, i) =>
      expect(Math.abs(norm - (wasm.gradNorms[i] ?? 0)) / norm).toBeLessThan(1e-4),
    );
    expect(Math.abs(webgpu.valLoss - wasm.valLoss) / wasm.valLoss).toBeLessThan(1e-4);

    const runs = await trainClient.call((api) => api.listRuns());
    expect(runs.map((r) => r.id)).toEqual(expect.arrayContaining([wasm.runId, webgpu.runId]));
    const metrics = await trainClient.call((api) => api.runMetrics(wasm.runId));
    expect(metrics.filter((m) => m.split === 'train').map((m) => m.step)).toEqual([1, 2, 3, 4]);
    const checkpoints = await trainClient.call((api) => api.listCheckpoints(wasm.runId));
    expect(checkpoints.at(-1)).toMatchObject({ step: 4, reason: 'final' });
    const files = await trainClient.call((api) => api.extractModel(wasm.runId));
    expect(Object.keys(files).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer.json',
    ]);
  }, 300_000);
});
