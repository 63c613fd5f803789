import * as tf from '@tensorflow/tfjs';
import type { BertWeights } from '../model/init.ts';
import { SeededRandom } from '../model/seeded-random.ts';
import type { JsonValue } from '../types.ts';
import { parseBertEncoderConfig, type BertEncoderConfig } from '../train/bert/config.ts';
import { loadBertEncoder, type BertEncoder } from '../train/bert/encoder.ts';
import { readBertSafetensors, writeBertSafetensors } from '../train/bert/weights-io.ts';
import type { TrainingSection } from '../train/config/types.ts';
import { mlmTokenizerFromJson } from '../train/data/tokenizer.ts';
import {
  BEST_PREFIX,
  ENCODER_PREFIX,
  StepGradients,
  adamWFor,
  checkStateJson,
  checkpointWriter,
  finishMessage,
  learningRateAt,
  metricsEmitter,
  paramIndex,
  patienceVerdict,
  refuseMixedPrecision,
  restoreFromCheckpoint,
  resumedState,
  runSteps,
  scalarOf,
  startProgress,
  scheduleOf,
  trainingWithoutBackend,
  type AdamW,
  type RunCheckpoint,
  type RunSinks,
  type ScheduleOptions,
  type StepFigures,
  type TrainStatus,
} from '../train/loop/index.ts';
import { batchForLoss } from './data/batch.ts';
import { epochPlan, runLayout, type EpochPlan, type RunLayout } from './data/epoch-plan.ts';
import type { PairExample, RankingExample } from './data/types.ts';
import type { SentenceModel } from './encode.ts';
import type { Evaluator, Metrics } from './evaluation/evaluators.ts';
import { createEncoderLoss, type LossConfig } from './losses/encoder-loss.ts';
import type { PoolingOptions } from './pooling.ts';
import { DEFAULT_MAX_SEQUENCE_LENGTH, type SentenceTokenizer } from './tokenize.ts';

/** The model fine-tuning starts from: an HF BERT-family folder's files, already read. */
export interface FineTuneBase {
  /** The parsed `config.json`. */
  config: Readonly<Record<string, unknown>>;
  /** `model.safetensors` (BertModel names, or prefixed `bert.` as in BertForMaskedLM). */
  safetensors: Uint8Array;
  /** The parsed `tokenizer.json`. */
  tokenizer: unknown;
  /** The parsed `tokenizer_config.json`, when there is one. */
  tokenizerConfig?: unknown;
}

/** Ranking examples for MNRL, pair examples (label or normalised score) for the others. */
export type FineTuneExamples = readonly RankingExample[] | readonly PairExample[];

/** A fine-tuning checkpoint; its safetensors: `bert.*` (encoder), `optimizer.{m,v}.*`, `best.bert.*`. */
export type FineTuneCheckpoint = RunCheckpoint<FineTuneState>;

export interface FineTuneOptions extends RunSinks<FineTuneState> {
  base: FineTuneBase;
  train: FineTuneExamples;
  /** Run before training, every `eval_every_steps`, at each epoch's end and after training. */
  evaluator?: Evaluator;
  loss: LossConfig;
  pooling: PoolingOptions;
  /**
   * The training section of a TrainConfig. Early stopping follows the evaluator's primary metric
   * (higher is better), whatever `early_stopping.metric` says; `mixed_precision` must be "off".
   */
  training: TrainingSection;
  /** Longest tokenised sentence, special tokens included; default 128 (capped by the model). */
  maxLength?: number;
}

/** Sums since the last train log row, so a resumed run logs the same averages. */
interface PendingTrainLog {
  steps: number;
  lossSum: number;
  examples: number;
  seconds: number;
}

/** The JSON half of a fine-tuning checkpoint. */
export interface FineTuneState {
  version: 1;
  kind: 'finetune';
  status: TrainStatus;
  step: number;
  totalSteps: number;
  /** Steps of the first epoch (MNRL batches that skip repeated texts can vary per epoch). */
  stepsPerEpoch: number;
  /** Every random stream (order, dropout) is named by (seed, step): no generator state. */
  seed: number;
  /** The settings a resume must share, as JSON. */
  settingsKey: string;
  dataFingerprint: string;
  patienceCounter: number;
  bestMetric: number | null;
  bestStep: number | null;
  before: Metrics | null;
  lastEvaluation: Metrics | null;
  /** The step the last evaluation ran at (0: the base model). */
  lastEvaluationStep: number | null;
  /** Mean training loss of the first and the latest log window. */
  firstLoss: number | null;
  lastLoss: number | null;
  pending: PendingTrainLog;
  examples: number;
  seconds: number;
}

export interface FineTuneResult {
  status: Exclude<TrainStatus, 'running'>;
  step: number;
  totalSteps: number;
  epoch: number;
  /** The evaluator's metrics on the base model and on the returned model (null without one). */
  before: Metrics | null;
  after: Metrics | null;
  primaryMetric: string | null;
  bestStep: number | null;
  firstLoss: number | null;
  lastLoss: number | null;
  /** Training seconds over every session of the run (evaluation excluded). */
  seconds: number;
  examplesPerSecond: number;
  /** The encoder's config, as parsed from the base's `config.json`. */
  encoderConfig: BertEncoderConfig;
  /** The fine-tuned encoder (the best evaluated one when early stopping kept one). */
  encoderWeights: BertWeights;
  /** The same as `model.safetensors` bytes (BertModel names). */
  encoderSafetensors: Uint8Array;
}

/** FNV-1a over the examples' texts and targets, to refuse resuming on other data. */
export function fingerprintExamples(examples: FineTuneExamples): string {
  let hash = 0x811c9dc5;
  const mixText = (text: string) => {
    for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
    hash = Math.imul(hash ^ 0x1f, 0x01000193);
  };
  for (const example of examples) {
    if ('anchor' in example) {
      mixText(example.anchor);
      mixText(example.positive);
      for (const negative of example.negatives ?? []) mixText(negative);
    } else {
      mixText(example.text1);
      mixText(example.text2);
      mixText(String(example.label));
    }
  }
  return `${examples.length}-${(hash >>> 0).toString(16).padStart(8, '0')}`;
}

function settingsKey(options: FineTuneOptions, maxLength: number): string {
  return JSON.stringify({
    training: trainingWithoutBackend(options.training),
    loss: options.loss,
    pooling: options.pooling,
    maxLength,
  });
}

export function fineTuneStateToJson(state: FineTuneState): JsonValue {
  return JSON.parse(JSON.stringify(state)) as JsonValue;
}

/** Reads a stored fine-tuning state back, checking what a resume relies on. */
export function fineTuneStateFromJson(json: JsonValue): FineTuneState {
  const checked = checkStateJson(json, {
    notState: 'Not a Lumina fine-tuning checkpoint state (version 1)',
    kind: 'finetune',
    numbers: ['step', 'totalSteps', 'stepsPerEpoch', 'seed', 'patienceCounter'],
    objects: ['pending'],
  });
  return checked as unknown as FineTuneState;
}

/**
 * Fine-tunes a BERT-family sentence encoder with a sentence-transformers loss on the active
 * TF.js backend (set it with `useBackend` first), with the MLM trainer's AdamW, schedule,
 * clipping and accumulation. Deterministic: the example order and dropout draw from streams
 * named by (seed, step), so a run resumed from a checkpoint follows the uninterrupted one.
 */
export async function fineTune(options: FineTuneOptions): Promise<FineTuneResult> {
  const { training } = options;
  refuseMixedPrecision(training);
  if (options.train.length === 0) throw new RangeError('No training examples');
  const encoderConfig = parseBertEncoderConfig(options.base.config);
  const maxLength = Math.min(
    options.maxLength ?? DEFAULT_MAX_SEQUENCE_LENGTH,
    encoderConfig.maxPositionEmbeddings,
  );
  const tokenizer = mlmTokenizerFromJson(options.base.tokenizer, options.base.tokenizerConfig);
  if (tokenizer.vocabSize > encoderConfig.vocabSize) {
    throw new RangeError(
      `The tokenizer has ${tokenizer.vocabSize} ids but the model only ${encoderConfig.vocabSize}`,
    );
  }
  const key = settingsKey(options, maxLength);
  const fingerprint = fingerprintExamples(options.train);
  const resumed = resumedState(options.resume, {
    parse: fineTuneStateFromJson,
    settingsKeyOf: (state: FineTuneState) => state.settingsKey,
    settingsKey: key,
    dataFingerprint: fingerprint,
    messages: {
      settings: 'The settings differ from the checkpoint’s; resume with the run’s own settings',
      data: 'The training data differs from the checkpoint’s',
    },
  });
  const plan = epochPlan(options.loss.name, options.train, training.batch_size, training.seed);
  const layout = runLayout(
    plan,
    training.epochs,
    training.grad_accumulation_steps,
    training.max_steps,
  );
  const { totalSteps } = layout;
  const weights = options.resume?.tensors ?? options.base.safetensors;
  const split = readBertSafetensors(encoderConfig, weights);
  const encoder = await loadBertEncoder(encoderConfig, weights);
  const params = new Map<string, tf.Variable>();
  for (const [name, variable] of encoder.variables) {
    if (variable.trainable) params.set(name, variable);
  }
  const optimizer = adamWFor(params, training);
  try {
    const best = resumed
      ? restoreFromCheckpoint(
          optimizer,
          split.rest,
          resumed.step,
          `${BEST_PREFIX}${ENCODER_PREFIX}`,
        )
      : null;
    const state: FineTuneState = resumed ?? {
      version: 1,
      kind: 'finetune',
      status: 'running',
      step: 0,
      totalSteps,
      stepsPerEpoch: layout.epochSteps[0] ?? 0,
      seed: training.seed,
      settingsKey: key,
      dataFingerprint: fingerprint,
      patienceCounter: 0,
      bestMetric: null,
      bestStep: null,
      before: null,
      lastEvaluation: null,
      lastEvaluationStep: null,
      firstLoss: null,
      lastLoss: null,
      pending: { steps: 0, lossSum: 0, examples: 0, seconds: 0 },
      examples: 0,
      seconds: 0,
    };
    return await runFineTune({
      options,
      encoder,
      encoderConfig,
      tokenizer,
      maxLength,
      params,
      optimizer,
      state,
      best,
      plan,
      layout,
      schedule: scheduleOf(training, totalSteps),
    });
  } finally {
    optimizer.dispose();
    encoder.dispose();
  }
}

interface RunContext {
  options: FineTuneOptions;
  encoder: BertEncoder;
  encoderConfig: BertEncoderConfig;
  tokenizer: SentenceTokenizer;
  maxLength: number;
  params: Map<string, tf.Variable>;
  optimizer: AdamW;
  state: FineTuneState;
  best: BertWeights | null;
  plan: EpochPlan;
  layout: RunLayout;
  schedule: ScheduleOptions;
}

async function runFineTune(ctx: RunContext): Promise<FineTuneResult> {
  const { options, encoder, optimizer, state } = ctx;
  const { training, evaluator, signal } = options;
  const progress = startProgress(options.onProgress, state.step, 'Fine-tuning');
  const lossFn = createEncoderLoss(options.loss, options.pooling);
  const params = paramIndex(ctx.params);
  const model: SentenceModel = {
    encoder,
    tokenizer: ctx.tokenizer,
    pooling: options.pooling,
    maxLength: ctx.maxLength,
  };
  const rule = {
    patience: evaluator ? training.early_stopping.patience : 0,
    minDelta: training.early_stopping.min_delta,
    higherIsBetter: true,
  };
  const epochOf = (steps: number): number => ctx.layout.epochsDone(steps);
  const emit = metricsEmitter(options);
  const underEncoder = (weights: BertWeights): BertWeights =>
    new Map([...weights].map(([name, t]) => [`${ENCODER_PREFIX}${name}`, t]));
  const checkpoint = checkpointWriter(options.saveCheckpoint, state, optimizer, async () => ({
    model: underEncoder(await encoder.readWeights()),
    best: ctx.best ? underEncoder(ctx.best) : null,
  }));
  /**
   * Evaluations inside the loop ignore the stop signal: the step under way finishes with its
   * evaluation, so the final checkpoint is a consistent point to resume from.
   */
  const evaluate = async (label: string, abortable = false): Promise<Metrics> => {
    if (!evaluator) throw new TypeError('unreachable: no evaluator');
    progress.update(state.step, state.totalSteps, `${label}: ${evaluator.name}`);
    return evaluator.evaluate(model, abortable && signal ? { signal } : {});
  };
  const validationRow = async (metrics: Metrics) => {
    await emit([
      { step: state.step, split: 'validation', values: { ...metrics, epoch: epochOf(state.step) } },
    ]);
  };

  if (evaluator && state.before === null) {
    state.before = await evaluate('Evaluating the base model', true);
    state.lastEvaluation = state.before;
    state.lastEvaluationStep = 0;
    await validationRow(state.before);
  }

  /** Evaluation row and early stopping bookkeeping; true when patience ran out. */
  const validate = async (): Promise<boolean> => {
    if (!evaluator) return false;
    const metrics = await evaluate(`Evaluating at step ${state.step}`);
    state.lastEvaluation = metrics;
    state.lastEvaluationStep = state.step;
    await validationRow(metrics);
    const value = metrics[evaluator.primaryMetric];
    if (value === undefined || !Number.isFinite(value)) {
      throw new RangeError(`The evaluator gave no "${evaluator.primaryMetric}"`);
    }
    const verdict = patienceVerdict(state, value, state.bestMetric, rule);
    if (verdict === 'improved') {
      state.bestMetric = value;
      state.bestStep = state.step;
      if (rule.patience > 0) ctx.best = await encoder.readWeights();
    }
    return verdict === 'exhausted';
  };

  const trainStep = async (): Promise<StepFigures> => {
    const s = state.step;
    const { epoch, inEpoch } = ctx.layout.locate(s);
    const first = inEpoch * training.grad_accumulation_steps;
    const last = Math.min(first + training.grad_accumulation_steps, ctx.plan.microBatches(epoch));
    const micro = last - first;
    const started = performance.now();
    const gradients = new StepGradients(params, micro);
    let lossSum = 0;
    let examples = 0;
    for (let m = first; m < last; m++) {
      const picked = ctx.plan.batch(epoch, m);
      const batchExamples = picked.map((i) => options.train[i]) as RankingExample[] | PairExample[];
      const batch = batchForLoss(options.loss.name, ctx.tokenizer, batchExamples, ctx.maxLength);
      const seed = new SeededRandom(state.seed, `dropout/${s}/${m - first}`).nextUint32();
      const value = gradients.backward(() => lossFn(encoder, batch, { training: true, seed }));
      lossSum += (await scalarOf(value)) / micro;
      examples += picked.length;
      tf.dispose(value);
    }
    const lr = learningRateAt(s, ctx.schedule);
    const gradNorm = await gradients.apply(optimizer, lr, training.max_grad_norm);
    const seconds = (performance.now() - started) / 1000;
    state.step = s + 1;
    state.pending.steps += 1;
    state.pending.lossSum += lossSum;
    state.pending.examples += examples;
    state.pending.seconds += seconds;
    state.examples += examples;
    state.seconds += seconds;
    return { lr, gradNorm };
  };

  const logTrain = async ({ lr, gradNorm }: StepFigures) => {
    const { pending } = state;
    const loss = pending.lossSum / Math.max(1, pending.steps);
    state.firstLoss ??= loss;
    state.lastLoss = loss;
    state.pending = { steps: 0, lossSum: 0, examples: 0, seconds: 0 };
    await emit([
      {
        step: state.step,
        split: 'train',
        values: {
          loss,
          learning_rate: lr,
          grad_norm: gradNorm,
          examples_per_second: pending.seconds > 0 ? pending.examples / pending.seconds : 0,
          epoch: epochOf(state.step),
        },
      },
    ]);
  };

  const status = await runSteps({
    training,
    state,
    progress,
    signal,
    trainStep,
    isEpochEnd: (steps) => Number.isInteger(epochOf(steps)),
    logTrain,
    validate: evaluator ? validate : undefined,
    checkpoint,
  });

  // As sentence-transformers' load_best_model_at_end: the best evaluated weights are the result.
  let after = state.lastEvaluationStep === state.step ? state.lastEvaluation : null;
  if (status !== 'stopped' && ctx.best && state.bestStep !== state.step) {
    encoder.assignWeights(ctx.best);
    after = await evaluate('Evaluating the best model');
  }
  progress.finish(finishMessage(status, state.step));
  const encoderWeights = await encoder.readWeights();
  return {
    status,
    step: state.step,
    totalSteps: state.totalSteps,
    epoch: epochOf(state.step),
    before: state.before,
    after,
    primaryMetric: evaluator?.primaryMetric ?? null,
    bestStep: state.bestStep,
    firstLoss: state.firstLoss,
    lastLoss: state.lastLoss,
    seconds: state.seconds,
    examplesPerSecond: state.seconds > 0 ? state.examples / state.seconds : 0,
    encoderConfig: ctx.encoderConfig,
    encoderWeights,
    encoderSafetensors: writeBertSafetensors(encoderWeights),
  };
}
