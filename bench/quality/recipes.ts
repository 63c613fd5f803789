/**
 * The quality bench's recipes as reusable steps: build a base model in Lumina (tokenizer + MLM
 * pretraining) or load an HF BERT folder, fine-tune it for STS (CosineSimilarityLoss, early
 * stopping on a dev set) or for SciFact retrieval (MNRL on the train qrels), evaluate, export.
 * Node only (reads and writes folders); the training itself is src/core's.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  evaluateRetrieval,
  evaluateSimilarity,
  fineTune,
  presetForLoss,
  presetTraining,
  similarityEvaluator,
  type Evaluator,
  type FineTuneBase,
  type FineTuneExamples,
  type FineTuneResult,
  type Metrics,
  type PairExample,
  type PoolingOptions,
  type RankingExample,
  type RetrievalSet,
  type SentenceModel,
} from '../../src/core/finetune/index.ts';
import { runTokenizerJob, type TokenizerType } from '../../src/core/tokenizer/train/index.ts';
import { useBackend, type ActiveBackend } from '../../src/core/train/bert/backend.ts';
import { parseBertEncoderConfig } from '../../src/core/train/bert/config.ts';
import { loadBertEncoder } from '../../src/core/train/bert/encoder.ts';
import { readBertSafetensors } from '../../src/core/train/bert/weights-io.ts';
import { defaultTrainConfigCopy, type TrainConfig } from '../../src/core/train/config/index.ts';
import type { TrainingSection } from '../../src/core/train/config/types.ts';
import { mlmTokenizerFromJson } from '../../src/core/train/data/index.ts';
import { exportTrainedModel } from '../../src/core/train/export/index.ts';
import type { MetricRow } from '../../src/core/store/records.ts';
import { trainMlm, type TrainMlmResult } from '../../src/core/train/loop/index.ts';
import { sequencesOf, trainingData } from '../train/quality.ts';

export type NodeBackend = 'wasm' | 'cpu';
export type Log = (message: string) => void;

/** A sentence encoder a recipe starts from or returns: HF-folder contents, already read. */
export interface SentenceEncoderModel {
  name: string;
  base: FineTuneBase;
  /** tokenizer.json and companions, as bytes, for export. */
  tokenizerFiles: ReadonlyMap<string, Uint8Array>;
  pooling: PoolingOptions;
  /** The longest input the model takes (trained positions / sentence-transformers max_seq_length). */
  maxLength: number;
}

export interface ModelShape {
  dModel: number;
  layers: number;
  heads: number;
  dFf: number;
  /** Pretraining sequence length; also the model's position count (no untrained positions). */
  seqLen: number;
}

/** The shape of a model's config.json as one line, e.g. `BERT d128 L2 H2 ff512 pos128, vocab 8000`. */
export function describeShape(model: SentenceEncoderModel): string {
  const c = parseBertEncoderConfig(model.base.config);
  return (
    `BERT d${c.hiddenSize} L${c.numHiddenLayers} H${c.numAttentionHeads} ff${c.intermediateSize} ` +
    `pos${c.maxPositionEmbeddings}, vocab ${c.vocabSize}, ${(parameterCount(model) / 1e6).toFixed(2)} M params, ` +
    `${model.pooling.mode} pooling`
  );
}

/** Encoder parameters (what model.safetensors holds). */
export function parameterCount(model: SentenceEncoderModel): number {
  const config = parseBertEncoderConfig(model.base.config);
  const { encoder } = readBertSafetensors(config, model.base.safetensors);
  return [...encoder.values()].reduce((sum, tensor) => sum + tensor.data.length, 0);
}

// ------------------------------------------------------------------------------ pretraining

export interface PretrainOptions {
  texts: readonly string[];
  tokenizer: { type: TokenizerType; vocabSize: number };
  shape: ModelShape;
  batchSize: number;
  learningRate: number;
  /** A fixed step count; otherwise as many steps as fit `minutes` (timed by a short probe). */
  steps?: number;
  minutes?: number;
  seed: number;
  backend: NodeBackend;
  name?: string;
  signal?: AbortSignal;
  log?: Log;
}

export interface PretrainReport {
  status: TrainMlmResult['status'];
  steps: number;
  tokens: number;
  corpusTokens: number;
  sequences: number;
  tokenizerSeconds: number;
  /** Pretraining wall time: tokenizer, packing, probe and steps. */
  seconds: number;
  lastLoss: number | null;
  lastAccuracy: number | null;
  backend: ActiveBackend;
}

export interface PretrainedModel {
  model: SentenceEncoderModel;
  report: PretrainReport;
}

/** Probe steps: the first is a warm-up (kernel compilation), the rest are timed. */
const PROBE_STEPS = 4;

function pretrainConfig(options: PretrainOptions): TrainConfig {
  const config = defaultTrainConfigCopy();
  const { shape } = options;
  Object.assign(config.model, {
    d_model: shape.dModel,
    n_layers: shape.layers,
    n_heads: shape.heads,
    d_ff: shape.dFf,
    max_seq_len: shape.seqLen,
  });
  Object.assign(config.data, {
    seq_len: shape.seqLen,
    split: { train: 1, validation: 0, test: 0 },
    seed: options.seed,
  });
  Object.assign(config.training, {
    batch_size: options.batchSize,
    epochs: 1,
    learning_rate: options.learningRate,
    warmup_ratio: 0.06,
    schedule: 'linear',
    eval_every_steps: 0,
    checkpoint_every_steps: 0,
    seed: options.seed,
    backend: options.backend,
  });
  config.training.early_stopping.patience = 0;
  return config;
}

/**
 * Trains a tokenizer on `texts`, then MLM-pretrains a BERT of `shape` on the same texts packed
 * into full sequences, with AdamW, 6 % warm-up and linear decay to 0 at the last step. With
 * `minutes`, a {@link PROBE_STEPS}-step probe times the machine as it is now and the run gets the
 * steps that fit, so the schedule spans the whole run; a hard stop at 1.25 × the budget guards
 * against a machine that slows down.
 */
export async function pretrainBase(options: PretrainOptions): Promise<PretrainedModel> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const backend = await useBackend(options.backend);
  const job = await runTokenizerJob(
    options.texts,
    { options: { type: options.tokenizer.type, vocabSize: options.tokenizer.vocabSize } },
    options.signal ? { signal: options.signal } : {},
  );
  const tokenizerSeconds = (performance.now() - started) / 1000;
  const tokenizerJson = JSON.parse(job.files['tokenizer.json']) as unknown;
  const tokenizerConfig = JSON.parse(job.files['tokenizer_config.json']) as unknown;
  const tokenizer = mlmTokenizerFromJson(tokenizerJson, tokenizerConfig);
  log(
    `${options.tokenizer.type} tokenizer of ${tokenizer.vocabSize} trained in ${tokenizerSeconds.toFixed(1)} s`,
  );
  const config = pretrainConfig(options);
  const sequences = await sequencesOf(
    options.texts,
    tokenizer,
    options.shape.seqLen,
    options.signal,
  );
  const data = trainingData(sequences);
  log(
    `${sequences.inputIds.length} packed sequences of ${options.shape.seqLen} (${sequences.tokens} tokens)`,
  );

  const run = (
    steps: number,
    signal: AbortSignal | undefined,
    onRows: (rows: MetricRow[]) => void,
  ) => {
    const runConfig = structuredClone(config);
    runConfig.training.max_steps = steps;
    runConfig.training.epochs = Math.max(
      1,
      Math.ceil((steps * options.batchSize) / sequences.inputIds.length),
    );
    // A row every step: the deadline below is checked on each.
    runConfig.training.log_every_steps = 1;
    return trainMlm({
      config: runConfig,
      tokenizer,
      data,
      ...(signal ? { signal } : {}),
      onMetrics: onRows,
    });
  };
  const every = (steps: number) => Math.max(1, Math.round(steps / 10));
  const logRows = (steps: number) => (rows: MetricRow[]) => {
    for (const row of rows) {
      if (row.step % every(steps) !== 0 && row.step !== steps) continue;
      const v = row.values;
      log(
        `pretrain step ${row.step}/${steps} loss ${(v['loss'] ?? NaN).toFixed(3)} ` +
          `acc ${(v['accuracy'] ?? NaN).toFixed(3)} ${Math.round(v['tokens_per_second'] ?? 0)} tok/s`,
      );
    }
  };

  let steps = options.steps;
  let signal = options.signal;
  let onRows: ((rows: MetricRow[]) => void) | undefined;
  if (steps === undefined) {
    if (options.minutes === undefined) throw new RangeError('pretrainBase needs steps or minutes');
    const rates: number[] = [];
    await run(PROBE_STEPS, options.signal, (rows) => {
      for (const row of rows) {
        const rate = row.values['tokens_per_second'];
        if (row.split === 'train' && row.step > 1 && rate !== undefined) rates.push(rate);
      }
    });
    rates.sort((a, b) => a - b);
    const rate = rates[Math.floor(rates.length / 2)];
    if (rate === undefined || !(rate > 0)) throw new Error('the pretraining probe timed no step');
    // Packed sequences are full, so a step is batch × seq_len tokens.
    const stepSeconds = (options.batchSize * options.shape.seqLen) / rate;
    // The budget covers the whole pretraining: tokenizer, packing and probe included.
    const left = options.minutes * 60 - (performance.now() - started) / 1000;
    steps = Math.max(1, Math.floor(left / stepSeconds));
    log(
      `budget ${options.minutes} min: ${steps} steps at ${stepSeconds.toFixed(2)} s/step (probe)`,
    );
    // Checked on each step's metric row, not by a timer: the wasm backend's awaits resolve as
    // microtasks, so a timer (AbortSignal.timeout) may not fire until the loop ends.
    const stopAt = performance.now() + Math.max(1, left) * 1250;
    const hardStop = new AbortController();
    signal = options.signal ? AbortSignal.any([options.signal, hardStop.signal]) : hardStop.signal;
    const logStep = logRows(steps);
    onRows = (rows) => {
      logStep(rows);
      if (performance.now() > stopAt) hardStop.abort();
    };
  }
  const result = await run(steps, signal, onRows ?? logRows(steps));
  if (result.status === 'stopped' && options.signal?.aborted) {
    throw options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted');
  }
  const tokenizerFiles = new Map(
    Object.entries(job.files).map(([name, text]): [string, Uint8Array] => [
      name,
      new TextEncoder().encode(text),
    ]),
  );
  return {
    model: {
      name: options.name ?? 'lumina-base',
      base: {
        config: result.hfConfig,
        safetensors: result.encoderSafetensors,
        tokenizer: tokenizerJson,
        tokenizerConfig,
      },
      tokenizerFiles,
      pooling: { mode: 'mean', normalize: true },
      maxLength: options.shape.seqLen,
    },
    report: {
      status: result.status,
      steps: result.step,
      tokens: result.summary.tokens,
      corpusTokens: sequences.tokens,
      sequences: sequences.inputIds.length,
      tokenizerSeconds,
      seconds: (performance.now() - started) / 1000,
      lastLoss: result.summary.lastTrain?.loss ?? null,
      lastAccuracy: result.summary.lastTrain?.accuracy ?? null,
      backend,
    },
  };
}

// ------------------------------------------------------------------------------ HF folders

const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
];

/**
 * An HF BERT-family folder as a fine-tuning base: config.json, `weights` (model.safetensors by
 * default), tokenizer files, and the sentence-transformers pooling (1_Pooling/config.json,
 * modules.json) and max_seq_length (sentence_bert_config.json) when present; mean pooling with
 * normalisation and 128 tokens otherwise.
 */
export async function loadHfBase(
  dir: string,
  weights = path.join(dir, 'model.safetensors'),
): Promise<SentenceEncoderModel> {
  const readJson = async (file: string): Promise<unknown> =>
    JSON.parse(await readFile(path.join(dir, file), 'utf8')) as unknown;
  const config = (await readJson('config.json')) as Record<string, unknown>;
  const tokenizerFiles = new Map<string, Uint8Array>();
  for (const name of TOKENIZER_FILES) {
    const file = path.join(dir, name);
    if (existsSync(file)) tokenizerFiles.set(name, new Uint8Array(await readFile(file)));
  }
  if (!tokenizerFiles.has('tokenizer.json')) throw new Error(`${dir}: no tokenizer.json`);
  const decode = (name: string): unknown => {
    const bytes = tokenizerFiles.get(name);
    return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as unknown) : undefined;
  };
  let pooling: PoolingOptions = { mode: 'mean', normalize: true };
  if (existsSync(path.join(dir, '1_Pooling', 'config.json'))) {
    const poolingJson = (await readJson('1_Pooling/config.json')) as Record<string, unknown>;
    const modules = existsSync(path.join(dir, 'modules.json'))
      ? JSON.stringify(await readJson('modules.json'))
      : '';
    pooling = {
      mode: poolingJson['pooling_mode_cls_token'] === true ? 'cls' : 'mean',
      normalize: modules.includes('Normalize'),
    };
  }
  const encoderConfig = parseBertEncoderConfig(config);
  let maxLength = Math.min(128, encoderConfig.maxPositionEmbeddings);
  if (existsSync(path.join(dir, 'sentence_bert_config.json'))) {
    const st = (await readJson('sentence_bert_config.json')) as Record<string, unknown>;
    if (typeof st['max_seq_length'] === 'number') {
      maxLength = Math.min(st['max_seq_length'], encoderConfig.maxPositionEmbeddings);
    }
  }
  const tokenizerConfig = decode('tokenizer_config.json');
  return {
    name: path.basename(path.resolve(dir)),
    base: {
      config,
      safetensors: new Uint8Array(await readFile(weights)),
      tokenizer: decode('tokenizer.json'),
      ...(tokenizerConfig === undefined ? {} : { tokenizerConfig }),
    },
    tokenizerFiles,
    pooling,
    maxLength,
  };
}

/** Writes the model as an HF folder (the training exporter: safetensors, ONNX, ST files). */
export async function exportModel(
  model: SentenceEncoderModel,
  dir: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const config = parseBertEncoderConfig(model.base.config);
  const files = await exportTrainedModel({
    config: model.base.config,
    encoderWeights: readBertSafetensors(config, model.base.safetensors).encoder,
    tokenizerFiles: model.tokenizerFiles,
    pooling: model.pooling.mode,
    normalize: model.pooling.normalize,
    name: model.name,
    maxSeqLength: Math.min(model.maxLength, config.maxPositionEmbeddings),
    ...(signal ? { signal } : {}),
  });
  const written: string[] = [];
  for (const [relative, bytes] of files) {
    const target = path.join(dir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
    written.push(target);
  }
  return written;
}

export interface WeightsCheck {
  /** The weights file that matched, or null. */
  file: string | null;
  /** Why no file matched (absent, or which hash was found). */
  reason: string;
}

/**
 * Finds `model.safetensors` in `dir` (or `dir/sentence-transformers/`) whose sha256 is the one
 * `EXPECTED_WEIGHTS.sha256` lists for a model.safetensors; a file with another hash is refused.
 */
export async function verifiedWeights(dir: string): Promise<WeightsCheck> {
  const listFile = path.join(dir, 'EXPECTED_WEIGHTS.sha256');
  if (!existsSync(listFile)) return { file: null, reason: `no ${listFile}` };
  const expected = (await readFile(listFile, 'utf8'))
    .split('\n')
    .map((line) => /^([0-9a-f]{64})\s+\*?(\S*model\.safetensors)$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => match[1] as string);
  if (expected.length === 0)
    return { file: null, reason: `${listFile} lists no model.safetensors` };
  const candidates = [
    path.join(dir, 'model.safetensors'),
    path.join(dir, 'sentence-transformers', 'model.safetensors'),
  ];
  const found: string[] = [];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const hash = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
    if (expected.includes(hash)) return { file, reason: 'sha256 matches' };
    found.push(`${file} has sha256 ${hash}, not the expected one`);
  }
  return {
    file: null,
    reason: found.length > 0 ? found.join('; ') : `no model.safetensors in ${dir}`,
  };
}

// ------------------------------------------------------------------------------ evaluation

export interface EvaluateOptions {
  /** Longest tokenised input; default (and at most) the model's. */
  maxLength?: number;
  /** TF.js backend to run on (made active first); default wasm. */
  backend?: NodeBackend;
  signal?: AbortSignal;
}

/** Runs `evaluate` on the model's encoder (inference, no dropout), then frees it. */
export async function withSentenceModel<T>(
  model: SentenceEncoderModel,
  evaluate: (sentenceModel: SentenceModel) => Promise<T>,
  { maxLength = model.maxLength, backend = 'wasm' }: Omit<EvaluateOptions, 'signal'> = {},
): Promise<T> {
  await useBackend(backend);
  const config = parseBertEncoderConfig(model.base.config);
  const encoder = await loadBertEncoder(config, model.base.safetensors);
  try {
    return await evaluate({
      encoder,
      tokenizer: mlmTokenizerFromJson(model.base.tokenizer, model.base.tokenizerConfig),
      pooling: model.pooling,
      maxLength: Math.min(maxLength, model.maxLength, config.maxPositionEmbeddings),
    });
  } finally {
    encoder.dispose();
  }
}

/** Spearman (and Pearson) of cosine vs gold on STS pairs. */
export function evaluateSts(
  model: SentenceEncoderModel,
  pairs: readonly PairExample[],
  options: EvaluateOptions = {},
): Promise<Metrics> {
  return withSentenceModel(
    model,
    (m) => evaluateSimilarity(m, pairs, options.signal ? { signal: options.signal } : {}),
    options,
  );
}

/** nDCG@10 and the other retrieval metrics over a retrieval set (the IR evaluator). */
export function evaluateIr(
  model: SentenceEncoderModel,
  set: RetrievalSet,
  options: EvaluateOptions = {},
): Promise<Metrics> {
  return withSentenceModel(
    model,
    (m) => evaluateRetrieval(m, set, options.signal ? { signal: options.signal } : {}),
    options,
  );
}

// ------------------------------------------------------------------------------ fine-tuning

export interface FineTuneRecipeOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Longest tokenised input during training and evaluation; default the model's. */
  maxLength?: number;
  seed: number;
  backend: NodeBackend;
  /** Cap on optimizer steps (tests, smoke runs). */
  maxSteps?: number;
  signal?: AbortSignal;
  log?: Log;
}

export interface StsFineTuneOptions extends FineTuneRecipeOptions {
  train: readonly PairExample[];
  /** Early stopping and model selection follow Spearman on these pairs. */
  dev: readonly PairExample[];
  /** Evaluations on dev without a gain before stopping. */
  patience: number;
  /** Dev evaluations every N steps (besides each epoch's end); 0: at epoch ends only. */
  evalEverySteps: number;
}

export interface SciFactFineTuneOptions extends FineTuneRecipeOptions {
  train: readonly RankingExample[];
  /** Optional evaluator for early stopping (never the test qrels); without one, all epochs run. */
  evaluator?: Evaluator;
  patience?: number;
}

export interface FineTuned {
  model: SentenceEncoderModel;
  result: Omit<FineTuneResult, 'encoderWeights' | 'encoderSafetensors'>;
  /** Wall seconds, evaluations included. */
  seconds: number;
  backend: ActiveBackend;
}

async function runFineTune(
  model: SentenceEncoderModel,
  options: FineTuneRecipeOptions,
  setup: {
    loss: 'cosine' | 'mnrl';
    train: FineTuneExamples;
    evaluator?: Evaluator;
    patience: number;
    evalEverySteps: number;
    suffix: string;
  },
): Promise<FineTuned> {
  const started = performance.now();
  const backend = await useBackend(options.backend);
  const log = options.log ?? (() => {});
  const preset = presetForLoss(setup.loss);
  const overrides: Partial<TrainingSection> = {
    backend: options.backend,
    epochs: options.epochs,
    batch_size: options.batchSize,
    learning_rate: options.learningRate,
    seed: options.seed,
    max_steps: options.maxSteps ?? null,
    eval_every_steps: setup.evalEverySteps,
    early_stopping: { patience: setup.patience, min_delta: 0, metric: 'val_loss' },
    log_every_steps: 20,
  };
  const maxLength = Math.min(options.maxLength ?? model.maxLength, model.maxLength);
  const result = await fineTune({
    base: model.base,
    train: setup.train,
    ...(setup.evaluator ? { evaluator: setup.evaluator } : {}),
    loss: preset.loss,
    pooling: model.pooling,
    training: presetTraining(preset, overrides),
    maxLength,
    ...(options.signal ? { signal: options.signal } : {}),
    onMetrics: (rows) => {
      for (const row of rows) {
        const v = row.values;
        log(
          row.split === 'train'
            ? `${setup.suffix} step ${row.step} loss ${(v['loss'] ?? NaN).toFixed(4)} ` +
                `${(v['examples_per_second'] ?? 0).toFixed(1)} ex/s`
            : `${setup.suffix} step ${row.step} ${setup.evaluator?.name ?? ''} ` +
                `${setup.evaluator?.primaryMetric ?? ''} ${(v[setup.evaluator?.primaryMetric ?? ''] ?? NaN).toFixed(4)}`,
        );
      }
    },
  });
  if (result.status === 'stopped') throw new Error(`${setup.suffix} fine-tuning was stopped`);
  const { encoderWeights: _weights, encoderSafetensors, ...summary } = result;
  return {
    model: {
      ...model,
      name: `${model.name}-${setup.suffix}`,
      base: { ...model.base, safetensors: encoderSafetensors },
    },
    result: summary,
    seconds: (performance.now() - started) / 1000,
    backend,
  };
}

/**
 * CosineSimilarityLoss on scored pairs, evaluated on `dev` (Spearman) every `evalEverySteps` and
 * at each epoch's end; patience runs out → stop; the best dev model is returned (as
 * sentence-transformers' load_best_model_at_end). The test split never enters here.
 */
export function fineTuneSts(
  model: SentenceEncoderModel,
  options: StsFineTuneOptions,
): Promise<FineTuned> {
  return runFineTune(model, options, {
    loss: 'cosine',
    train: options.train,
    evaluator: similarityEvaluator(options.dev, 'sts-dev'),
    patience: Math.max(1, options.patience),
    evalEverySteps: options.evalEverySteps,
    suffix: 'sts',
  });
}

/**
 * MultipleNegativesRankingLoss (scale 20, in-batch negatives) on (query, relevant document) pairs,
 * documents truncated to `maxLength`; the returned model is a dense retriever (the last one, or
 * the best by `evaluator` when one is given).
 */
export function fineTuneSciFact(
  model: SentenceEncoderModel,
  options: SciFactFineTuneOptions,
): Promise<FineTuned> {
  return runFineTune(model, options, {
    loss: 'mnrl',
    train: options.train,
    ...(options.evaluator ? { evaluator: options.evaluator } : {}),
    patience: options.evaluator ? Math.max(1, options.patience ?? 2) : 0,
    evalEverySteps: 0,
    suffix: 'scifact',
  });
}
