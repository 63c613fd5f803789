import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  epochPlan,
  fineTune,
  runLayout,
  type RankingExample,
  fineTunePreset,
  presetTraining,
  readScoredPairs,
  similarityEvaluator,
  type FineTuneBase,
  type FineTuneCheckpoint,
  type FineTuneOptions,
  type PairExample,
} from '../../../src/core/finetune/index.ts';
import { buildSeededModelFolder } from '../../../src/core/model/seeded-model-folder.ts';
import type { MetricRow } from '../../../src/core/store/records.ts';
import { useBackend } from '../../../src/core/train/bert/index.ts';
import { tinyBaseConfigJson } from '../../support/tiny-base.ts';

const MINILM = new URL('../../../../shared/models/all-MiniLM-L6-v2/', import.meta.url);
const STS_TRAIN = new URL('../../../../shared/datasets/stsb/sts-train.csv', import.meta.url);

/** A seeded 2-layer, 32-wide BERT over all-MiniLM-L6-v2's WordPiece vocabulary. */
export async function tinyBase(seed = 7): Promise<FineTuneBase> {
  const tokenizerJson = readFileSync(new URL('tokenizer.json', MINILM));
  const folder = await buildSeededModelFolder({
    configJson: tinyBaseConfigJson,
    seed,
    tokenizerFiles: new Map([['tokenizer.json', new Uint8Array(tokenizerJson)]]),
  });
  const decode = (name: string): unknown =>
    JSON.parse(new TextDecoder().decode(folder.files.get(name)));
  return {
    config: decode('config.json') as Record<string, unknown>,
    safetensors: folder.files.get('model.safetensors') as Uint8Array,
    tokenizer: decode('tokenizer.json'),
  };
}

let base: FineTuneBase;
let train: PairExample[];
let dev: PairExample[];

beforeAll(async () => {
  await useBackend('wasm');
  base = await tinyBase();
  const { examples } = await readScoredPairs(readFileSync(STS_TRAIN, 'utf8'), {
    file: 'sts-train.csv',
  });
  train = examples.slice(0, 48);
  dev = examples.slice(1000, 1040);
});

function options(overrides: Partial<FineTuneOptions> = {}): FineTuneOptions {
  const preset = fineTunePreset('cosine-scored');
  return {
    base,
    train,
    loss: preset.loss,
    pooling: preset.pooling,
    maxLength: 32,
    training: presetTraining(preset, {
      batch_size: 8,
      epochs: 2,
      learning_rate: 1e-3,
      grad_accumulation_steps: 2,
      checkpoint_every_steps: 2,
      eval_every_steps: 3,
      log_every_steps: 1,
      backend: 'wasm',
    }),
    evaluator: similarityEvaluator(dev, 'sts-dev'),
    ...overrides,
  };
}

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  // Same layout (same writer, same names): compare the float payloads past the header.
  const headerLength = (bytes: Uint8Array) =>
    8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const fa = new Float32Array(a.slice(headerLength(a)).buffer);
  const fb = new Float32Array(b.slice(headerLength(b)).buffer);
  expect(fa.length).toBe(fb.length);
  let max = 0;
  for (let i = 0; i < fa.length; i++)
    max = Math.max(max, Math.abs((fa[i] as number) - (fb[i] as number)));
  return max;
}

describe('fineTune', () => {
  it('trains with cosine loss, logs train and evaluator rows, and resumes exactly', async () => {
    const rows: MetricRow[] = [];
    const full = await fineTune(options({ onMetrics: (r) => rows.push(...r) }));
    // 48 examples / batch 8 = 6 micro-batches = 3 steps per epoch (accumulation 2), 2 epochs.
    expect(full.status).toBe('completed');
    expect(full.step).toBe(6);
    expect(full.before?.['spearman']).toBeTypeOf('number');
    expect(full.after?.['spearman']).toBeTypeOf('number');
    const trainRows = rows.filter((r) => r.split === 'train');
    expect(trainRows.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const row of trainRows) {
      expect(Object.keys(row.values).sort()).toEqual(
        ['epoch', 'examples_per_second', 'grad_norm', 'learning_rate', 'loss'].sort(),
      );
      expect(row.values['loss']).toBeGreaterThan(0);
    }
    // Warmup 10 % of 6 steps = 1 step: lr 0 at step 0, then linear decay from 1e-3.
    expect(trainRows[0]?.values['learning_rate']).toBe(0);
    expect(trainRows[1]?.values['learning_rate']).toBeCloseTo(1e-3, 12);
    expect(trainRows[2]?.values['learning_rate']).toBeCloseTo(1e-3 * (1 - 1 / 5), 12);
    // Evaluations: base (step 0), every 3 steps (= epoch ends).
    expect(rows.filter((r) => r.split === 'validation').map((r) => r.step)).toEqual([0, 3, 6]);
    expect(full.lastLoss).toBeLessThan(full.firstLoss as number);

    // Stopped after step 4 (its checkpoint is the 'final' one), then resumed from it.
    const controller = new AbortController();
    const checkpoints: FineTuneCheckpoint[] = [];
    const stopped = await fineTune(
      options({
        signal: controller.signal,
        saveCheckpoint: async (c) => {
          checkpoints.push(c);
        },
        onMetrics: (r) => {
          if (r.some((row) => row.split === 'train' && row.step === 4)) controller.abort();
        },
      }),
    );
    expect(stopped.status).toBe('stopped');
    expect(stopped.step).toBe(4);
    const last = checkpoints.at(-1) as FineTuneCheckpoint;
    expect(last.reason).toBe('final');
    const resumedRows: MetricRow[] = [];
    const resumed = await fineTune(
      options({
        resume: { tensors: last.tensors, state: JSON.parse(JSON.stringify(last.state)) },
        onMetrics: (r) => resumedRows.push(...r),
      }),
    );
    expect(resumed.status).toBe('completed');
    expect(resumed.step).toBe(6);
    expect(maxAbsDiff(resumed.encoderSafetensors, full.encoderSafetensors)).toBeLessThan(1e-5);
    const lossAt = (list: MetricRow[], step: number) =>
      list.find((r) => r.split === 'train' && r.step === step)?.values['loss'];
    expect(lossAt(resumedRows, 6)).toBeCloseTo(lossAt(rows, 6) as number, 5);
    expect(resumed.after?.['spearman']).toBeCloseTo(full.after?.['spearman'] as number, 5);
    expect(resumed.before).toEqual(full.before);
  }, 60_000);

  it('refuses to resume with other settings or data', async () => {
    const checkpoints: FineTuneCheckpoint[] = [];
    await fineTune(
      options({
        evaluator: undefined,
        training: { ...options().training, max_steps: 2 },
        saveCheckpoint: async (c) => {
          checkpoints.push(c);
        },
      }),
    );
    const last = checkpoints.at(-1) as FineTuneCheckpoint;
    const resume = { tensors: last.tensors, state: JSON.parse(JSON.stringify(last.state)) };
    await expect(fineTune(options({ evaluator: undefined, resume }))).rejects.toThrow(/settings/);
    await expect(
      fineTune(
        options({
          evaluator: undefined,
          training: { ...options().training, max_steps: 2 },
          train: train.slice(1),
          resume,
        }),
      ),
    ).rejects.toThrow(/data/);
  }, 30_000);

  it('stops early on the evaluator metric and returns the best weights', async () => {
    const rows: MetricRow[] = [];
    // A learning rate this high wrecks the encoder after the first steps: Spearman falls.
    const result = await fineTune(
      options({
        training: {
          ...options().training,
          learning_rate: 0.5,
          warmup_ratio: 0,
          epochs: 4,
          eval_every_steps: 1,
          checkpoint_every_steps: 0,
          early_stopping: { patience: 2, min_delta: 0, metric: 'val_loss' },
        },
        onMetrics: (r) => rows.push(...r),
      }),
    );
    expect(result.status).toBe('early-stopped');
    const evals = rows.filter((r) => r.split === 'validation' && r.step > 0);
    // Two evaluations without a gain after the best one, then the stop.
    const scores = evals.map((r) => r.values['spearman'] as number);
    const best = Math.max(...scores);
    const bestIndex = scores.indexOf(best);
    expect(evals.length).toBe(bestIndex + 3);
    expect(result.step).toBe(evals.at(-1)?.step);
    expect(result.bestStep).toBe(evals[bestIndex]?.step);
    // The returned weights are the best step's: evaluated again, they score its Spearman.
    expect(result.after?.['spearman']).toBeCloseTo(best, 6);
  }, 60_000);

  it('MNRL on data with repeated texts runs the no-duplicates batches of each epoch', async () => {
    // Several questions share an answer (as FAQ data and BEIR qrels do).
    const examples: RankingExample[] = train.slice(0, 30).map((pair, i) => ({
      anchor: pair.text1,
      positive: train[(i % 10) * 2]?.text2 as string,
    }));
    const preset = fineTunePreset('mnrl-qa');
    const training = presetTraining(preset, {
      batch_size: 8,
      epochs: 2,
      learning_rate: 1e-3,
      log_every_steps: 1,
      backend: 'wasm',
    });
    const layout = runLayout(epochPlan('mnrl', examples, 8, training.seed), 2, 1, null);
    // 30 examples with 10 answers, 3 times each: at most 8 a batch but often fewer.
    expect(layout.totalSteps).toBeGreaterThan(2 * Math.ceil(30 / 8));
    const rows: MetricRow[] = [];
    const result = await fineTune({
      base,
      train: examples,
      loss: preset.loss,
      pooling: preset.pooling,
      maxLength: 32,
      training,
      onMetrics: (r) => rows.push(...r),
    });
    expect(result.status).toBe('completed');
    expect(result.step).toBe(layout.totalSteps);
    expect(result.epoch).toBe(2);
    const losses = rows.filter((r) => r.split === 'train').map((r) => r.values['loss'] as number);
    expect(losses).toHaveLength(layout.totalSteps);
    for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);

    // Stopped inside the second epoch and resumed, it ends where the uninterrupted run did.
    const controller = new AbortController();
    const checkpoints: FineTuneCheckpoint[] = [];
    const stopAt = (layout.epochSteps[0] as number) + 1;
    const common = {
      base,
      train: examples,
      loss: preset.loss,
      pooling: preset.pooling,
      maxLength: 32,
      training,
    };
    await fineTune({
      ...common,
      signal: controller.signal,
      saveCheckpoint: async (c) => {
        checkpoints.push(c);
      },
      onMetrics: (r) => {
        if (r.some((row) => row.split === 'train' && row.step === stopAt)) controller.abort();
      },
    });
    const last = checkpoints.at(-1) as FineTuneCheckpoint;
    expect(last.step).toBe(stopAt);
    const resumed = await fineTune({
      ...common,
      resume: { tensors: last.tensors, state: JSON.parse(JSON.stringify(last.state)) },
    });
    expect(resumed.step).toBe(layout.totalSteps);
    expect(maxAbsDiff(resumed.encoderSafetensors, result.encoderSafetensors)).toBeLessThan(1e-5);
  }, 60_000);
});
