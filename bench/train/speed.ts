import type { ProgressCallback } from '../../src/core/progress.ts';
import type { MetricRow } from '../../src/core/store/records.ts';
import { useBackend, type UseBackendOptions } from '../../src/core/train/bert/backend.ts';
import { defaultTrainConfigCopy, type TrainConfig } from '../../src/core/train/config/index.ts';
import { mlmTokenizerFromJson, type MlmData } from '../../src/core/train/data/index.ts';
import { mlmModelConfig, trainMlm } from '../../src/core/train/loop/index.ts';
import { SHAPES, type ShapeName, type SpeedRequest, type SpeedResult } from './protocol.ts';

/** The training config of a bench shape: no validation, no checkpoints, one metric row a step. */
export function shapeConfig(shape: ShapeName, batch: number, seed: number): TrainConfig {
  const spec = SHAPES[shape];
  const config = defaultTrainConfigCopy();
  Object.assign(config.model, {
    d_model: spec.dModel,
    n_layers: spec.layers,
    n_heads: spec.heads,
    d_ff: spec.dFf,
    max_seq_len: Math.max(512, spec.seqLen),
  });
  Object.assign(config.data, {
    seq_len: spec.seqLen,
    split: { train: 1, validation: 0, test: 0 },
    seed,
  });
  Object.assign(config.training, {
    batch_size: batch,
    epochs: 1,
    log_every_steps: 1,
    eval_every_steps: 0,
    checkpoint_every_steps: 0,
    seed,
  });
  config.training.early_stopping.patience = 0;
  return config;
}

/**
 * Trained parameters (encoder without the pooler, MLM head, tied decoder counted once), from the
 * config alone; equals the sizes of `buildMlmModel`'s `params` (checked for both shapes).
 */
export function parameterCount(config: TrainConfig, vocabSize: number): number {
  const { d_model: d, n_layers: layers, d_ff: ff, max_seq_len: positions } = config.model;
  const embeddings = vocabSize * d + positions * d + config.model.type_vocab_size * d + 2 * d;
  const layer = 4 * (d * d + d) + 2 * (d * ff) + ff + d + 4 * d;
  const head = d * d + d + 2 * d + vocabSize;
  return embeddings + layers * layer + head;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}

/**
 * Trains a fresh model of the shape for warm-up + measured steps with `trainMlm` (the app's loop:
 * masking, forward, backward, clipping, AdamW) on `request.backend`, and reads each step's
 * tokens/s from the loop's own metric rows. Runs in Node and in the browser.
 */
export async function measureSpeed(
  request: SpeedRequest,
  backendOptions: UseBackendOptions = {},
  signal?: AbortSignal,
  onProgress?: ProgressCallback,
): Promise<SpeedResult> {
  const backend = await useBackend(request.backend, backendOptions);
  const tokenizer = mlmTokenizerFromJson(JSON.parse(request.tokenizerJson));
  const config = shapeConfig(request.shape, request.batch, request.seed);
  config.training.backend = request.backend;
  const total = request.warmupSteps + request.steps;
  config.training.max_steps = total;
  const needed = request.batch * total;
  if (request.sequences.inputIds.length < needed) {
    throw new RangeError(`${needed} sequences needed, ${request.sequences.inputIds.length} given`);
  }
  const empty = { seqLen: request.sequences.seqLen, inputIds: [], attentionMask: [], tokens: 0 };
  const data: MlmData = {
    train: request.sequences,
    validation: empty,
    test: empty,
    texts: request.sequences.inputIds.length,
    emptyTexts: 0,
    fingerprint: 'bench',
  };
  const rows: MetricRow[] = [];
  await trainMlm({
    config,
    tokenizer,
    data,
    onMetrics: (metrics) => rows.push(...metrics.filter((row) => row.split === 'train')),
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
  });
  const measured = rows
    .filter((row) => row.step > request.warmupSteps)
    .map((row) => row.values['tokens_per_second'] ?? NaN);
  if (measured.length !== request.steps) {
    throw new Error(`expected ${request.steps} measured steps, got ${measured.length}`);
  }
  return {
    backend: request.backend,
    detail: backend.detail,
    stepTokensPerSecond: measured,
    medianTokensPerSecond: median(measured),
    // Every bench sequence is full (no padding), so each step trains on batch × seq_len tokens.
    tokensPerStep: request.batch * request.sequences.seqLen,
    parameters: parameterCount(config, mlmModelConfig(config, tokenizer).encoder.vocabSize),
  };
}
