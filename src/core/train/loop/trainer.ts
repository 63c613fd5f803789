import * as tf from '@tensorflow/tfjs';
import type { BertWeights } from '../../model/init.ts';
import { SeededRandom } from '../../model/seeded-random.ts';
import type { TrainConfig } from '../config/types.ts';
import type { MlmData } from '../data/prepare.ts';
import { epochOrder } from '../data/order.ts';
import type { MlmTokenizer } from '../data/tokenizer.ts';
import type { AdamW } from './adamw.ts';
import { pickRows } from './batches.ts';
import { patienceVerdict } from './early-stopping.ts';
import { StepGradients, adamWFor, paramIndex, scalarOf } from './gradients.ts';
import { mlmObjective } from './mlm-objective.ts';
import {
  refuseMixedPrecision,
  restoreFromCheckpoint,
  resumedState,
  trainingWithoutBackend,
} from './resume.ts';
import {
  BEST_PREFIX,
  ENCODER_PREFIX,
  buildMlmModel,
  mlmModelConfig,
  tensorsUnder,
} from './model-io.ts';
import type { ObjectiveModel, TrainObjective } from './objective.ts';
import {
  checkpointWriter,
  metricsEmitter,
  type RunCheckpoint,
  type RunSinks,
} from './run-sinks.ts';
import { learningRateAt, scheduleOf, type ScheduleOptions } from './schedule.ts';
import {
  emptyPendingLog,
  emptySummary,
  stateFromJson,
  type MlmScores,
  type TrainState,
  type TrainStatus,
} from './state.ts';
import { finishMessage, runSteps, startProgress, type StepFigures } from './step-loop.ts';
import { writeBertSafetensors } from '../bert/weights-io.ts';

/**
 * A checkpoint of the shared loop. Its safetensors: `bert.*` and `cls.predictions.*`
 * (BertForMaskedLM), `optimizer.{m,v}.*`, `best.*`.
 */
export type TrainCheckpoint = RunCheckpoint<TrainState>;

/** What every objective's run takes: config, data, resume point and the run's sinks. */
export interface TrainLoopOptions extends RunSinks<TrainState> {
  config: TrainConfig;
  data: Pick<MlmData, 'train' | 'validation' | 'fingerprint'>;
  /** Start from a saved model's `model.safetensors` in a new run. */
  initialWeights?: Uint8Array;
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
  return JSON.stringify({
    model: config.model,
    training: trainingWithoutBackend(config.training),
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
  const resumed = resumedState(options.resume, {
    parse: stateFromJson,
    settingsKeyOf: (state: TrainState) => resumeKey(state.config),
    settingsKey: resumeKey(options.config),
    dataFingerprint: data.fingerprint,
    messages: {
      settings: 'The config differs from the checkpoint’s; resume with the run’s own config',
      data: 'The training data differs from the checkpoint’s (other corpus, tokenizer or split)',
    },
  });
  const config: TrainConfig = resumed
    ? {
        ...resumed.config,
        training: { ...resumed.config.training, backend: options.config.training.backend },
      }
    : options.config;
  const { training } = config;
  refuseMixedPrecision(training);
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
  const schedule = scheduleOf(training, totalSteps);
  const seed = training.seed;
  const model = await build(config, options.resume?.tensors ?? options.initialWeights, seed);
  const { objective, rest } = model;
  const optimizer = adamWFor(objective.params, training);
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
          schedule: { step: 0, warmupSteps: schedule.warmupSteps, totalSteps },
          patienceCounter: 0,
          pendingLog: emptyPendingLog(),
          summary: emptySummary(),
          dataFingerprint: data.fingerprint,
          config,
        };
    const best = resumed ? restoreFromCheckpoint(optimizer, rest, resumed.step, BEST_PREFIX) : null;
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
  schedule: ScheduleOptions;
}

async function runLoop(ctx: LoopContext): Promise<TrainLoopResult> {
  const { options, config, objective, optimizer, state } = ctx;
  const { training } = config;
  const { data } = options;
  const progress = startProgress(options.onProgress, state.step, 'Training');
  const params = paramIndex(objective.params);
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
  const rule = {
    patience: hasValidation ? training.early_stopping.patience : 0,
    minDelta: training.early_stopping.min_delta,
    higherIsBetter: false,
  };
  const emit = metricsEmitter(options);
  const checkpoint = checkpointWriter(options.saveCheckpoint, state, optimizer, async () => ({
    model: await objective.readWeights(),
    best: ctx.best,
  }));

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
  const validate = async (): Promise<boolean> => {
    const val = await evaluate();
    state.summary.lastValidation = val;
    await emit([
      {
        step: state.step,
        split: 'validation',
        values: {
          loss: val.loss,
          accuracy: val.accuracy,
          perplexity: val.perplexity,
          epoch: state.step / state.stepsPerEpoch,
        },
      },
    ]);
    const verdict = patienceVerdict(state, val.loss, state.summary.bestValLoss, rule);
    if (verdict === 'improved') {
      state.summary.bestValLoss = val.loss;
      state.summary.bestStep = state.step;
      if (rule.patience > 0) ctx.best = await objective.readWeights();
    }
    if (verdict !== 'exhausted') return false;
    if (ctx.best) objective.assignWeights(ctx.best);
    return true;
  };

  const trainStep = async (): Promise<StepFigures> => {
    const s = state.step;
    const epoch = Math.floor(s / state.stepsPerEpoch);
    const first = (s % state.stepsPerEpoch) * training.grad_accumulation_steps;
    const last = Math.min(first + training.grad_accumulation_steps, ctx.microPerEpoch);
    const order = orderOf(epoch);
    const started = performance.now();
    const gradients = new StepGradients(params, last - first);
    let lossSum = 0;
    let correct = 0;
    let masked = 0;
    let tokens = 0;
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
      const value = gradients.backward(() => {
        const out = batch.forward({ training: true, seed: dropoutSeed });
        right = tf.keep(out.correct);
        return out.loss;
      });
      lossSum += (await scalarOf(value)) * batch.count;
      masked += batch.count;
      const rightTensor = right as tf.Scalar | null;
      if (rightTensor) correct += await scalarOf(rightTensor);
      tf.dispose([value, ...(rightTensor ? [rightTensor] : [])]);
    }
    const lr = learningRateAt(s, ctx.schedule);
    const gradNorm = await gradients.apply(optimizer, lr, training.max_grad_norm);
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

  const logTrain = async ({ lr, gradNorm }: StepFigures) => {
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
  };

  const status = await runSteps({
    training,
    state,
    progress,
    signal: options.signal,
    isPaused: options.isPaused,
    trainStep,
    isEpochEnd: (steps) => steps % state.stepsPerEpoch === 0,
    logTrain,
    validate: hasValidation ? validate : undefined,
    checkpoint,
  });
  progress.finish(finishMessage(status, state.step));
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
