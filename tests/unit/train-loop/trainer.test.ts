import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../../src/core/model/safetensors.ts';
import type { MetricRow } from '../../../src/core/store/index.ts';
import {
  loadBertEncoder,
  parseBertEncoderConfig,
  useBackend,
} from '../../../src/core/train/bert/index.ts';
import type { MlmData, MlmTokenizer } from '../../../src/core/train/data/index.ts';
import {
  extractEncoderSafetensors,
  trainMlm,
  type TrainCheckpoint,
} from '../../../src/core/train/loop/index.ts';
import { tinyConfig, tinyData, tinyTokenizer, wikiLines } from './fixture.ts';

const lines = wikiLines(150);
let tokenizer: MlmTokenizer;
let data: MlmData;

beforeAll(async () => {
  await useBackend('cpu');
  tokenizer = await tinyTokenizer(lines);
  data = await tinyData(lines, tokenizer, tinyConfig());
});

/** The item at `index` (negative from the end), or a failed test. */
function at<T>(items: readonly T[], index: number): T {
  const item = items.at(index);
  if (item === undefined) throw new Error(`no item at ${index} of ${items.length}`);
  return item;
}

const value = (row: MetricRow, key: string) => row.values[key] ?? Number.NaN;

const trainLosses = (rows: MetricRow[]) =>
  rows.filter((row) => row.split === 'train').map((row) => row.values['loss'] ?? Number.NaN);

describe('trainMlm', () => {
  it('resumed from a checkpoint, follows the uninterrupted loss curve', async () => {
    await useBackend('cpu');
    const config = tinyConfig((c) => {
      c.data.seq_len = 16;
      c.training.batch_size = 4;
      c.training.max_steps = 8;
      c.training.grad_accumulation_steps = 2;
      c.training.checkpoint_every_steps = 3;
      c.training.eval_every_steps = 4;
    });
    // A smaller corpus keeps validation passes short on the (slow) cpu backend.
    const data = await tinyData(lines.slice(0, 60), tokenizer, config);
    const full: MetricRow[] = [];
    const tensorCounts: number[] = [];
    const before = tf.memory().numTensors;
    const uninterrupted = await trainMlm({
      config,
      tokenizer,
      data,
      onMetrics: (rows) => {
        full.push(...rows);
        tensorCounts.push(tf.memory().numTensors);
      },
    });
    expect(uninterrupted.status).toBe('completed');
    expect(uninterrupted.step).toBe(8);
    // Nothing grows step by step: every step's tensors are freed.
    expect(new Set(tensorCounts.slice(1)).size).toBe(1);
    // …and the model, head and optimizer are all freed at the end.
    expect(tf.memory().numTensors - before).toBe(0);

    // Stop after step 5 (the loop finishes that step, writes a final checkpoint).
    const controller = new AbortController();
    const checkpoints: TrainCheckpoint[] = [];
    const first: MetricRow[] = [];
    const stopped = await trainMlm({
      config,
      tokenizer,
      data,
      signal: controller.signal,
      saveCheckpoint: async (checkpoint) => void checkpoints.push(checkpoint),
      onMetrics: (rows) => {
        first.push(...rows);
        if (rows.some((row) => row.split === 'train' && row.step === 5)) controller.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    expect(stopped.step).toBe(5);
    expect(checkpoints.map((c) => [c.step, c.reason])).toEqual([
      [3, 'interval'],
      [5, 'final'],
    ]);
    // Resume from the interval checkpoint at step 3: steps 4 and 5 are trained again.
    const interval = at(checkpoints, 0);
    const second: MetricRow[] = [];
    const resumed = await trainMlm({
      config,
      tokenizer,
      data,
      resume: { tensors: interval.tensors, state: JSON.parse(JSON.stringify(interval.state)) },
      onMetrics: (rows) => void second.push(...rows),
    });
    expect(resumed.status).toBe('completed');
    const stitched = [...trainLosses(first).slice(0, 3), ...trainLosses(second)];
    const reference = trainLosses(full);
    expect(stitched).toHaveLength(8);
    let maxRel = 0;
    reference.forEach((loss, i) => {
      maxRel = Math.max(maxRel, Math.abs((stitched[i] ?? 0) - loss) / Math.abs(loss));
    });
    console.log(`resume: max relative loss difference over 8 steps ${maxRel.toExponential(2)}`);
    expect(maxRel).toBeLessThan(1e-5);
    const valFull = full.filter((r) => r.split === 'validation').map((r) => r.values['loss']);
    const valResumed = second.filter((r) => r.split === 'validation').map((r) => r.values['loss']);
    expect(valResumed.length).toBeGreaterThan(0);
    valResumed.forEach((loss, i) =>
      expect(loss).toBeCloseTo(valFull[valFull.length - valResumed.length + i] ?? 0, 5),
    );
    // The final weights agree too.
    const a = decodeSafetensors(uninterrupted.encoderSafetensors).tensors;
    const b = decodeSafetensors(resumed.encoderSafetensors).tensors;
    const name = 'encoder.layer.1.output.dense.weight';
    const wa = a.get(name)?.data as Float32Array;
    const wb = b.get(name)?.data as Float32Array;
    let maxAbs = 0;
    for (let i = 0; i < wa.length; i++)
      maxAbs = Math.max(maxAbs, Math.abs((wa[i] ?? 0) - (wb[i] ?? Number.NaN)));
    expect(maxAbs).toBeLessThan(1e-5);
  });

  it('learns: the loss falls, logs lr, grad norm and tokens/s; training metrics are consistent', async () => {
    // wasm in Node: about 5× faster than the cpu backend here, same numbers to float tolerance.
    await useBackend('wasm');
    const config = tinyConfig((c) => {
      c.training.max_steps = 30;
      c.training.log_every_steps = 1;
      c.training.learning_rate = 5e-3;
      c.training.max_grad_norm = 1;
    });
    const rows: MetricRow[] = [];
    const result = await trainMlm({
      config,
      tokenizer,
      data,
      onMetrics: (r) => void rows.push(...r),
    });
    const train = rows.filter((r) => r.split === 'train');
    expect(train.map((r) => r.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const mean = (part: MetricRow[]) =>
      part.reduce((sum, r) => sum + value(r, 'loss'), 0) / part.length;
    const firstRow = at(train, 0);
    const lastRow = at(train, 29);
    // Starts near ln(vocab) (uniform guesses) and falls well below it.
    expect(Math.abs(mean(train.slice(0, 2)) - Math.log(tokenizer.vocabSize))).toBeLessThan(0.3);
    expect(mean(train.slice(25))).toBeLessThan(mean(train.slice(0, 3)) - 0.5);
    for (const row of train) {
      expect(row.values['perplexity']).toBeCloseTo(Math.exp(value(row, 'loss')), 3);
      expect(row.values['accuracy']).toBeGreaterThanOrEqual(0);
      expect(row.values['tokens_per_second']).toBeGreaterThan(0);
      expect(row.values['grad_norm']).toBeGreaterThan(0);
    }
    // Linear decay from 5e-3 after 2 warmup steps over 30: lr of step index 29.
    expect(value(lastRow, 'learning_rate')).toBeCloseTo((5e-3 * (30 - 29)) / 28, 8);
    const val = rows.filter((r) => r.split === 'validation');
    expect(val.map((r) => r.step)).toEqual([30]);
    expect(result.summary.lastValidation?.loss).toBe(value(at(val, 0), 'loss'));
    expect(result.summary.tokensPerSecond).toBeGreaterThan(0);
    console.log(
      `wasm backend (Node), tiny model: ${Math.round(result.summary.tokensPerSecond)} tokens/s; ` +
        `loss ${value(firstRow, 'loss').toFixed(3)} → ${value(lastRow, 'loss').toFixed(3)}`,
    );
  });

  it('stops early when validation loss stops improving and restores the best weights', async () => {
    await useBackend('wasm');
    // A learning rate far too high makes validation loss rise after the first evaluation.
    const config = tinyConfig((c) => {
      c.training.max_steps = 40;
      c.training.learning_rate = 0.5;
      c.training.warmup_steps = 0;
      c.training.max_grad_norm = 0;
      c.training.eval_every_steps = 2;
      c.training.early_stopping = { patience: 2, min_delta: 0, metric: 'val_loss' };
    });
    const rows: MetricRow[] = [];
    const checkpoints: TrainCheckpoint[] = [];
    const result = await trainMlm({
      config,
      tokenizer,
      data,
      onMetrics: (r) => void rows.push(...r),
      saveCheckpoint: async (c) => void checkpoints.push(c),
    });
    expect(result.status).toBe('early-stopped');
    expect(result.step).toBeLessThan(40);
    const val = rows.filter((r) => r.split === 'validation');
    const bestLoss = Math.min(...val.map((r) => value(r, 'loss')));
    expect(result.summary.bestValLoss).toBe(bestLoss);
    // Two evaluations without improvement after the best one.
    const bestIndex = val.findIndex((r) => r.values['loss'] === bestLoss);
    expect(val.length - 1 - bestIndex).toBe(2);
    // The returned weights are the best ones: re-evaluating them gives the best validation loss.
    const check = await trainMlm({
      config: tinyConfig((c) => {
        c.training.max_steps = 1;
        c.training.learning_rate = 0;
        c.training.weight_decay = 0;
      }),
      tokenizer,
      data,
      initialWeights: result.mlmSafetensors,
      onMetrics: (r) => void rows.push(...r),
    });
    expect(check.summary.lastValidation?.loss).toBeCloseTo(bestLoss, 4);
    expect(checkpoints.at(-1)?.reason).toBe('final');
    expect(checkpoints.at(-1)?.state.status).toBe('early-stopped');
  });

  it('continues a saved model on new data, and extracts a weights-only encoder', async () => {
    await useBackend('wasm');
    const config = tinyConfig((c) => {
      c.training.max_steps = 3;
    });
    const checkpoints: TrainCheckpoint[] = [];
    const base = await trainMlm({
      config,
      tokenizer,
      data,
      saveCheckpoint: async (c) => void checkpoints.push(c),
    });
    const newLines = wikiLines(60, 400);
    const newData = await tinyData(newLines, tokenizer, config);
    const rows: MetricRow[] = [];
    const continued = await trainMlm({
      config: tinyConfig((c) => {
        c.training.max_steps = 2;
        c.training.learning_rate = 0;
        c.training.weight_decay = 0;
      }),
      tokenizer,
      data: newData,
      initialWeights: base.mlmSafetensors,
      onMetrics: (r) => void rows.push(...r),
    });
    // lr 0: the weights are exactly the saved ones after training on the new data.
    expect(continued.encoderSafetensors).toEqual(base.encoderSafetensors);
    // A checkpoint yields the same weights-only encoder, loadable for inference.
    const extracted = extractEncoderSafetensors(at(checkpoints, -1).tensors);
    expect(extracted).toEqual(base.encoderSafetensors);
    const names = [...decodeSafetensors(extracted).tensors.keys()];
    expect(names.some((n) => n.startsWith('optimizer.') || n.startsWith('cls.'))).toBe(false);
    const encoder = await loadBertEncoder(parseBertEncoderConfig(base.hfConfig), extracted);
    expect(encoder.config.hiddenSize).toBe(32);
    encoder.dispose();
  });

  it('waits while paused and goes on when unpaused', async () => {
    await useBackend('wasm');
    const config = tinyConfig((c) => {
      c.training.max_steps = 2;
    });
    let paused = true;
    const started = performance.now();
    setTimeout(() => (paused = false), 300);
    const result = await trainMlm({ config, tokenizer, data, isPaused: () => paused });
    expect(result.status).toBe('completed');
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });
});
