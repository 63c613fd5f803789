import * as tf from '@tensorflow/tfjs';
import type { BertWeights } from '../../model/init.ts';
import { SeededRandom } from '../../model/seeded-random.ts';
import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import type { MetricRow } from '../../store/records.ts';
import type { JsonValue } from '../../types.ts';
import type { TrainConfig } from '../config/types.ts';
import type { MlmData } from '../data/prepare.ts';
import { epochOrder } from '../data/order.ts';
import type { MlmTokenizer } from '../data/tokenizer.ts';
import { AdamW, clipByGlobalNorm } from './adamw.ts';
import { pickRows } from './batches.ts';
import { mlmObjective } from './mlm-objective.ts';
import {
  BEST_PREFIX,
  ENCODER_PREFIX,
  buildMlmModel,
  encodeCheckpointTensors,
  mlmModelConfig,
  tensorsUnder,
} from './model-io.ts';
import type { ObjectiveModel, TrainObjective } from './objective.ts';
import { learningRateAt, warmupStepsOf } from './schedule.ts';
import {
  emptyPendingLog,
  emptySummary,
  stateFromJson,
  type CheckpointReason,
  type MlmScores,
  type TrainState,
  type TrainStatus,
} from './state.ts';
import { writeBertSafetensors } from '../bert/weights-io.ts';

export interface TrainCheckpoint {
  step: number;
  reason: CheckpointReason;
  /** safetensors: `bert.*` and `cls.predictions.*` (BertForMaskedLM), `optimizer.{m,v}.*`, `best.*`. */
  tensors: Uint8Array;
  state: TrainState;
}

/** What every objective's run takes: config, data, resume point and the run's sinks. */
export interface TrainLoopOptions {
  config: TrainConfig;
  data: Pick<MlmData, 'train' | 'validation' | 'fingerprint'>;
  /** Start from a saved model's `model.safetensors` in a new run. */
  initialWeights?: Uint8Array;
  /** Continue a run from one of its checkpoints; the data must be prepared the same way. */
  resume?: { tensors: Uint8Array; state: JsonValue };
  saveCheckpoint?: (checkpoint: TrainCheckpoint) => Promise<void>;
  /** Durable sink for metric rows (the store's appendMetrics, a JSONL file). */
  saveMetrics?: (rows: MetricRow[]) => Promise<void>;
  /** Live rows for charts, the same as saved. */
  onMetrics?: (rows: MetricRow[]) => void;
  onProgress?: ProgressCallback;
  /** Stop: the loop finishes the step under way, writes a final checkpoint and returns. */
  signal?: AbortSignal;
  /** Polled between steps; while true the loop waits (and can still be stopped). */
  isPaused?: () => boolean;
}

export interface TrainMlmOptions extends TrainLoopOptions {
  tokenizer: MlmTokenizer;
  data: MlmData;
}

/** Builds the run's model from the effective config and a weights blob (checkpoint or file). */
export type BuildObjectiveModel = (
  config: TrainConfig,
  weights: Uint8Array | undefined,
  seed: number,
) => Promise<ObjectiveModel>;

export interface TrainLoopResult {
  status: Exclude<TrainStatus, 'running'>;
  step: number;
  totalSteps: number;
  epoch: number;
  summary: TrainState['summary'];
  /** The run's own config (a resumed run's, with this session's backend). */
  config: TrainConfig;
  /** The final weights (the best ones after early stopping), under the objective's HF names. */
  weights: BertWeights;
}

export interface TrainMlmResult extends Omit<TrainLoopResult, 'config' | 'weights'> {
  /** HF `config.json` of the encoder. */
  hfConfig: Record<string, string | number | string[]>;
  /** Weights-only encoder (BertModel names), for inference and export. */
  encoderSafetensors: Uint8Array;
  /** Encoder and MLM head (BertForMaskedLM names): continue pretraining from it later. */
  mlmSafetensors: Uint8Array;
}

const PAUSE_POLL_MS = 100;

/** A scalar tensor's value, read with `await data()` (safe on webgpu). */
async function scalarOf(tensor: tf.Tensor): Promise<number> {
  return Number((await tensor.data())[0] ?? Number.NaN);
}

function scores(lossSum: number, correct: number, masked: number): MlmScores {
  const loss = masked > 0 ? lossSum / masked : Number.NaN;
  return { loss, accuracy: masked > 0 ? correct / masked : 0, perplexity: Math.exp(loss) };
}

/** Optimizer steps per epoch and in the whole run. */
export function runLength(
  trainSequences: number,
  training: TrainConfig['training'],
): { microPerEpoch: number; stepsPerEpoch: number; totalSteps: number } {
  const microPerEpoch = Math.ceil(trainSequences / training.batch_size);
  const stepsPerEpoch = Math.ceil(microPerEpoch / training.grad_accumulation_steps);
  const all = stepsPerEpoch * training.epochs;
  return {
    microPerEpoch,
    stepsPerEpoch,
    totalSteps: training.max_steps === null ? all : Math.min(all, training.max_steps),
  };
}

/** The parts of a config a resumed run must share with the one that wrote the checkpoint. */
function resumeKey(config: TrainConfig): string {
  const { backend: _backend, ...training } = config.training;
  return JSON.stringify({
    model: config.model,
    training,
    data: { ...config.data, corpus_files: [] },
  });
}

/**
 * MLM pretraining of a BERT encoder on the active TF.js backend (set it with `useBackend` first).
 * Deterministic: shuffling, masking and dropout draw from streams named by (seed, step), so a run
 * stopped and resumed from a checkpoint follows the uninterrupted run's trajectory.
 */
export async function trainMlm(options: TrainMlmOptions): Promise<TrainMlmResult> {
  const { tokenizer } = options;
  const result = await runTraining(options, async (config, weights, seed) => {
    const { model, rest } = await buildMlmModel(config, tokenizer, weights, seed);
    return {
      objective: mlmObjective(model, tokenizer, config.data),
      rest,
      dispose: () => model.dispose(),
    };
  });
  const { config, weights, ...rest } = result;
  return {
    ...rest,
    hfConfig: mlmModelConfig(config, tokenizer).hf,
    encoderSafetensors: writeBertSafetensors(tensorsUnder(weights, ENCODER_PREFIX)),
    mlmSafetensors: writeBertSafetensors(weights),
  };
}

/**
 * The training loop shared by every objective: AdamW with warmup and decay, clipping, gradient
 * accumulation, evaluation, early stopping and checkpoints, on the active TF.js backend.
 */
export async function runTraining(
  options: TrainLoopOptions,
  build: BuildObjectiveModel,
): Promise<TrainLoopResult> {
  const { data } = options;
  let config = options.config;
  let resumed: TrainState | null = null;
  if (options.resume) {
    resumed = stateFromJson(options.resume.state);
    if (resumeKey(resumed.config) !== resumeKey(config)) {
      throw new RangeError(
        'The config differs from the checkpoint’s; resume with the run’s own config',
      );
    }
    if (resumed.dataFingerprint !== data.fingerprint) {
      throw new RangeError(
        'The training data differs from the checkpoint’s (other corpus, tokenizer or split)',
      );
    }
    config = {
      ...resumed.config,
      training: { ...resumed.config.training, backend: config.training.backend },
    };
  }
  const { training } = config;
  if (training.mixed_precision !== 'off') {
    // TF.js 4.22 has no float16 tensor type on any backend (webgpu included), so there is nothing
    // to train in half precision with; say so before any work starts.
    throw new RangeError(
      'training.mixed_precision "fp16": TF.js has no float16 tensors on any backend, so Lumina ' +
        'trains in float32; set it to "off"',
    );
  }
  if (config.data.seq_len > config.model.max_seq_len) {
    throw new RangeError(
      `seq_len ${config.data.seq_len} exceeds the model's max_seq_len ${config.model.max_seq_len}`,
    );
  }
  if (data.train.inputIds.length === 0)
    throw new RangeError('No training sequences: the corpus is empty');
  const { microPerEpoch, stepsPerEpoch, totalSteps } = runLength(
    data.train.inputIds.length,
    training,
  );
  const warmupSteps = warmupStepsOf(training.warmup_steps, training.warmup_ratio, totalSteps);
  const schedule = {
    learningRate: training.learning_rate,
    schedule: training.schedule,
    warmupSteps,
    totalSteps,
  };
  const seed = training.seed;
  const model = await build(config, options.resume?.tensors ?? options.initialWeights, seed);
  const { objective, rest } = model;
  const optimizer = new AdamW(objective.params, {
    beta1: training.adam_beta1,
    beta2: training.adam_beta2,
    epsilon: training.adam_epsilon,
    weightDecay: training.weight_decay,
  });
  try {
    const state: TrainState = resumed
      ? { ...resumed, config }
      : {
          version: 1,
          status: 'running',
          step: 0,
          totalSteps,
          stepsPerEpoch,
          position: { epoch: 0, batch: 0 },
          seeds: { data: config.data.seed, training: seed },
          schedule: { step: 0, warmupSteps, totalSteps },
          patienceCounter: 0,
          pendingLog: emptyPendingLog(),
          summary: emptySummary(),
          dataFingerprint: data.fingerprint,
          config,
        };
    let best: BertWeights | null = null;
    if (resumed) {
      optimizer.loadState(rest, resumed.step);
      const stored = tensorsUnder(rest, BEST_PREFIX);
      if (stored.size > 0) best = stored;
    }
    return await runLoop({
      options,
      config,
      objective,
      optimizer,
      state,
      best,
      microPerEpoch,
      schedule,
    });
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

interface LoopContext {
  options: TrainLoopOptions;
  config: TrainConfig;
  objective: TrainObjective;
  optimizer: AdamW;
  state: TrainState;
  best: BertWeights | null;
  microPerEpoch: number;
  schedule: Parameters<typeof learningRateAt>[1];
}

async function runLoop(ctx: LoopContext): Promise<TrainLoopResult> {
  const { options, config, objective, optimizer, state } = ctx;
  const { training } = config;
  const { data, signal } = options;
  const progress = new ProgressReporter(options.onProgress);
  progress.start(state.step > 0 ? `Resuming at step ${state.step}` : 'Training');
  const varList = [...objective.params.values()];
  const nameOf = new Map([...objective.params].map(([name, variable]) => [variable.name, name]));
  const orders = new Map<number, Int32Array>();
  const orderOf = (epoch: number): Int32Array => {
    let order = orders.get(epoch);
    if (!order) {
      orders.clear();
      order = epochOrder(data.train.inputIds.length, state.seeds.training, epoch);
      orders.set(epoch, order);
    }
    return order;
  };
  const hasValidation = data.validation.inputIds.length > 0;
  const patience = hasValidation ? training.early_stopping.patience : 0;
  // A stopped run goes on; a finished one stays finished.
  let status: TrainStatus =
    state.status === 'completed' || state.status === 'early-stopped' ? state.status : 'running';

  const emit = async (rows: MetricRow[]) => {
    if (rows.length === 0) return;
    options.onMetrics?.(rows);
    await options.saveMetrics?.(rows);
  };

  const checkpoint = async (reason: CheckpointReason) => {
    if (!options.saveCheckpoint) return;
    const tensors = encodeCheckpointTensors(
      await objective.readWeights(),
      await optimizer.readState(),
      ctx.best,
    );
    await options.saveCheckpoint({
      step: state.step,
      reason,
      tensors,
      state: structuredClone({ ...state, status }),
    });
  };

  const evaluate = async (): Promise<MlmScores> => {
    let lossSum = 0;
    let correct = 0;
    let masked = 0;
    const set = data.validation;
    for (
      let start = 0, batch = 0;
      start < set.inputIds.length;
      start += training.batch_size, batch++
    ) {
      const rows = pickRows(
        set,
        Array.from(
          { length: Math.min(training.batch_size, set.inputIds.length - start) },
          (_, i) => start + i,
        ),
      );
      // A fixed stream per validation batch: every evaluation masks the same positions.
      const random = new SeededRandom(state.seeds.training, `val/${batch}`);
      const prepared = objective.batch(rows, random);
      if (!prepared) continue;
      const [loss, right] = tf.tidy(() => {
        const out = prepared.forward({ training: false });
        return [out.loss, out.correct];
      });
      lossSum += (await scalarOf(loss)) * prepared.count;
      correct += await scalarOf(right);
      masked += prepared.count;
      tf.dispose([loss, right]);
    }
    return scores(lossSum, correct, masked);
  };

  /** Validation row, early stopping bookkeeping; true when patience ran out. */
  const validate = async (epoch: number): Promise<boolean> => {
    const val = await evaluate();
    state.summary.lastValidation = val;
    await emit([
      {
        step: state.step,
        split: 'validation',
        values: { loss: val.loss, accuracy: val.accuracy, perplexity: val.perplexity, epoch },
      },
    ]);
    const bestLoss = state.summary.bestValLoss;
    if (bestLoss === null || val.loss < bestLoss - training.early_stopping.min_delta) {
      state.summary.bestValLoss = val.loss;
      state.summary.bestStep = state.step;
      state.patienceCounter = 0;
      if (patience > 0) ctx.best = await objective.readWeights();
      return false;
    }
    state.patienceCounter += 1;
    return patience > 0 && state.patienceCounter >= patience;
  };

  const trainStep = async () => {
    const s = state.step;
    const epoch = Math.floor(s / state.stepsPerEpoch);
    const first = (s % state.stepsPerEpoch) * training.grad_accumulation_steps;
    const last = Math.min(first + training.grad_accumulation_steps, ctx.microPerEpoch);
    const order = orderOf(epoch);
    const started = performance.now();
    const sum = new Map<string, tf.Tensor>();
    let lossSum = 0;
    let correct = 0;
    let masked = 0;
    let tokens = 0;
    const micro = last - first;
    for (let m = first; m < last; m++) {
      const rows = pickRows(
        data.train,
        order.subarray(m * training.batch_size, (m + 1) * training.batch_size),
      );
      const random = new SeededRandom(state.seeds.training, `mlm/${s}/${m - first}`);
      const batch = objective.batch(rows, random);
      tokens += rows.attentionMask.reduce((n, row) => n + row.reduce((a, b) => a + b, 0), 0);
      if (!batch) continue;
      const dropoutSeed = new SeededRandom(
        state.seeds.training,
        `dropout/${s}/${m - first}`,
      ).nextUint32();
      let right: tf.Scalar | null = null;
      const { value, grads } = tf.variableGrads(() => {
        const out = batch.forward({ training: true, seed: dropoutSeed });
        right = tf.keep(out.correct);
        return out.loss;
      }, varList);
      // HF divides each micro-batch's mean loss by the accumulation count: the step's gradient
      // is the mean of the micro-batch gradients.
      for (const [id, grad] of Object.entries(grads)) {
        const name = nameOf.get(id);
        if (!name) continue;
        const scaled = tf.mul(grad, 1 / micro);
        const previous = sum.get(name);
        if (previous) {
          sum.set(name, tf.add(previous, scaled));
          tf.dispose([previous, scaled]);
        } else sum.set(name, scaled);
      }
      lossSum += (await scalarOf(value)) * batch.count;
      masked += batch.count;
      const rightTensor = right as tf.Scalar | null;
      if (rightTensor) correct += await scalarOf(rightTensor);
      tf.dispose([value, ...Object.values(grads), ...(rightTensor ? [rightTensor] : [])]);
    }
    const { norm, clipped } = clipByGlobalNorm(sum, training.max_grad_norm);
    const lr = learningRateAt(s, ctx.schedule);
    optimizer.apply(clipped, lr);
    const gradNorm = await scalarOf(norm);
    tf.dispose([norm, ...clipped.values(), ...sum.values()]);
    const seconds = (performance.now() - started) / 1000;
    state.step = s + 1;
    state.schedule.step = state.step;
    state.position = {
      epoch: Math.floor(state.step / state.stepsPerEpoch),
      batch: (state.step % state.stepsPerEpoch) * training.grad_accumulation_steps,
    };
    const pending = state.pendingLog;
    pending.steps += 1;
    pending.lossSum += lossSum;
    pending.correct += correct;
    pending.masked += masked;
    pending.tokens += tokens;
    pending.seconds += seconds;
    state.summary.tokens += tokens;
    state.summary.seconds += seconds;
    state.summary.tokensPerSecond =
      state.summary.seconds > 0 ? state.summary.tokens / state.summary.seconds : 0;
    return { lr, gradNorm };
  };

  // Stop is checked between steps only: the step under way finishes with its evaluation, so
  // the final checkpoint is a consistent point to resume from.
  while (status === 'running' && state.step < state.totalSteps) {
    while (options.isPaused?.() && !signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, PAUSE_POLL_MS));
    }
    if (signal?.aborted) {
      status = 'stopped';
      break;
    }
    const { lr, gradNorm } = await trainStep();
    const epochEnd = state.step % state.stepsPerEpoch === 0;
    const lastStep = state.step === state.totalSteps;
    if (state.step % Math.max(1, training.log_every_steps) === 0 || epochEnd || lastStep) {
      const pending = state.pendingLog;
      const train = scores(pending.lossSum, pending.correct, pending.masked);
      state.summary.lastTrain = train;
      state.pendingLog = emptyPendingLog();
      await emit([
        {
          step: state.step,
          split: 'train',
          values: {
            loss: train.loss,
            accuracy: train.accuracy,
            perplexity: train.perplexity,
            learning_rate: lr,
            grad_norm: gradNorm,
            tokens_per_second: pending.seconds > 0 ? pending.tokens / pending.seconds : 0,
            epoch: state.step / state.stepsPerEpoch,
          },
        },
      ]);
    }
    const evalNow =
      hasValidation &&
      ((training.eval_every_steps > 0 && state.step % training.eval_every_steps === 0) ||
        epochEnd ||
        lastStep);
    if (evalNow && (await validate(state.step / state.stepsPerEpoch))) {
      status = 'early-stopped';
      if (ctx.best) objective.assignWeights(ctx.best);
    }
    progress.update(state.step, state.totalSteps, `Step ${state.step} of ${state.totalSteps}`);
    if (status === 'running' && lastStep) status = 'completed';
    if (status !== 'running') break;
    if (epochEnd) await checkpoint('epoch');
    else if (
      training.checkpoint_every_steps > 0 &&
      state.step % training.checkpoint_every_steps === 0
    ) {
      await checkpoint('interval');
    }
  }
  if (status === 'running') status = 'completed';
  state.status = status;
  await checkpoint('final');
  progress.finish(
    status === 'stopped'
      ? `Stopped at step ${state.step}`
      : `Finished at step ${state.step} (${status})`,
  );
  return {
    status,
    step: state.step,
    totalSteps: state.totalSteps,
    epoch: state.step / state.stepsPerEpoch,
    summary: state.summary,
    config,
    weights: await objective.readWeights(),
  };
}
