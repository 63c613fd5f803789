/**
 * `lumina train mlm`: MLM pretraining of a BERT encoder on text files with TF.js in Node (cpu or
 * wasm backend). Checkpoints go to `<out>/checkpoints/` as files, so `--resume` continues a run
 * that was stopped (Ctrl-C writes a final checkpoint) or killed. Progress on stderr, one JSON
 * line of metrics on stdout, and the encoder in the HF layout in `<out>`.
 */
import { existsSync } from 'node:fs';
import {
  appendFile,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { MetricRow } from '../core/store/records.ts';
import type { JsonValue } from '../core/types.ts';
import { useBackend, type TfBackendName } from '../core/train/bert/backend.ts';
import { parseBertEncoderConfig } from '../core/train/bert/config.ts';
import { readBertSafetensors } from '../core/train/bert/weights-io.ts';
import { exportTrainedModel, type TrainingSummary } from '../core/train/export/index.ts';
import { formatIssue, parseTrainConfigYaml, type TrainConfig } from '../core/train/config/index.ts';
import { mlmTokenizerFromJson, prepareMlmData } from '../core/train/data/index.ts';
import {
  stateToJson,
  trainMlm,
  type TrainCheckpoint,
  type TrainedModelInput,
  type TrainMlmResult,
} from '../core/train/loop/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';

/** Tokenizer files copied next to the model when present beside tokenizer.json. */
const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
];
export const CHECKPOINT_DIR = 'checkpoints';
export const METRICS_FILE = 'metrics.jsonl';

export interface TrainMlmArgs {
  corpus: string[];
  config: string;
  out: string;
  resume: boolean;
  tokenizer: string | undefined;
  init: string | undefined;
  backend: Exclude<TfBackendName, 'webgpu'> | undefined;
  keepCheckpoints: number;
}

export function parseTrainMlmArgs(args: string[]): TrainMlmArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        corpus: { type: 'string', multiple: true },
        config: { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'boolean' },
        tokenizer: { type: 'string' },
        init: { type: 'string' },
        backend: { type: 'string' },
        'keep-checkpoints': { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const { values, positionals } = parsed;
  const corpus = [...(values.corpus ?? []), ...positionals];
  if (corpus.length === 0) throw new UsageError('--corpus needs at least one file');
  if (!values.config) throw new UsageError('--config is required');
  if (!values.out) throw new UsageError('--out is required');
  const backend = values.backend;
  if (backend !== undefined && backend !== 'cpu' && backend !== 'wasm') {
    throw new UsageError('--backend must be cpu or wasm (webgpu needs a browser)');
  }
  const keep = Number(values['keep-checkpoints'] ?? '2');
  if (!Number.isInteger(keep) || keep < 0) {
    throw new UsageError('--keep-checkpoints must be an integer ≥ 0');
  }
  if (values.resume && values.init) throw new UsageError('give --resume or --init, not both');
  return {
    corpus,
    config: values.config,
    out: values.out,
    resume: values.resume ?? false,
    tokenizer: values.tokenizer,
    init: values.init,
    backend,
    keepCheckpoints: keep,
  };
}

/**
 * Writes the trained encoder as a Hugging Face model folder (config, safetensors, tokenizer files,
 * `onnx/model.onnx`, sentence-transformers pooling files and a model card), so Lumina's embedding
 * engine and other tools load it like any other model; returns the paths.
 */
export async function writeTrainedModelFiles(
  dir: string,
  input: TrainedModelInput & { name: string; maxSeqLength: number; training?: TrainingSummary },
): Promise<string[]> {
  const config = parseBertEncoderConfig(input.hfConfig);
  const { encoder } = readBertSafetensors(config, input.encoderSafetensors);
  const text = new TextEncoder();
  const tokenizerFiles = new Map(
    Object.entries(input.tokenizerFiles).map(([name, content]): [string, Uint8Array] => [
      name,
      typeof content === 'string' ? text.encode(content) : content,
    ]),
  );
  const files = await exportTrainedModel({
    config: input.hfConfig,
    encoderWeights: encoder,
    tokenizerFiles,
    pooling: 'mean',
    normalize: true,
    name: input.name,
    maxSeqLength: Math.min(input.maxSeqLength, config.maxPositionEmbeddings),
    ...(input.training ? { training: input.training } : {}),
  });
  const written: string[] = [];
  for (const [name, bytes] of files) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, bytes);
    written.push(file);
  }
  return written;
}

export async function readConfig(file: string): Promise<TrainConfig> {
  const result = parseTrainConfigYaml(await readFile(file, 'utf8'));
  if (!result.ok) {
    throw new UsageError(
      `--config ${file}:\n${result.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`,
    );
  }
  return result.config;
}

/** The tokenizer files: from a tokenizer.json path or a folder holding one. */
export async function readTokenizerFiles(source: string): Promise<Record<string, Uint8Array>> {
  const info = await stat(source).catch(() => null);
  if (!info) throw new UsageError(`tokenizer ${source} does not exist`);
  const dir = info.isDirectory() ? source : path.dirname(source);
  const main = info.isDirectory() ? path.join(source, 'tokenizer.json') : source;
  const files: Record<string, Uint8Array> = { 'tokenizer.json': await readFile(main) };
  for (const name of TOKENIZER_FILES.slice(1)) {
    const file = path.join(dir, name);
    if (existsSync(file)) files[name] = await readFile(file);
  }
  return files;
}

export async function readLines(files: readonly string[]): Promise<string[]> {
  const texts: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`--corpus ${file}: ${(error as Error).message}`, { cause: error });
    }
    for (const line of text.split(/\r?\n/)) if (line.trim().length > 0) texts.push(line);
  }
  return texts;
}

interface StoredCheckpoint {
  step: number;
  tensors: Uint8Array;
  state: JsonValue;
}

function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

async function checkpointSteps(dir: string): Promise<number[]> {
  const names = existsSync(dir) ? await readdir(dir) : [];
  return names
    .map((name) => /^step-(\d+)\.json$/.exec(name)?.[1])
    .filter((step): step is string => step !== undefined)
    .map(Number)
    .filter((step) => existsSync(path.join(dir, `${checkpointName(step)}.safetensors`)))
    .sort((a, b) => a - b);
}

/** Tensors first, state JSON last: a state file only exists for a complete checkpoint. */
export async function saveCheckpoint(dir: string, checkpoint: TrainCheckpoint, keep: number) {
  await mkdir(dir, { recursive: true });
  const base = path.join(dir, checkpointName(checkpoint.step));
  await writeFile(`${base}.safetensors`, checkpoint.tensors);
  const record = {
    step: checkpoint.step,
    reason: checkpoint.reason,
    state: stateToJson(checkpoint.state),
  };
  await writeFile(`${base}.json.tmp`, JSON.stringify(record));
  await rename(`${base}.json.tmp`, `${base}.json`);
  const steps = await checkpointSteps(dir);
  for (const step of steps.slice(0, Math.max(0, steps.length - 1 - keep))) {
    await rm(path.join(dir, `${checkpointName(step)}.json`), { force: true });
    await rm(path.join(dir, `${checkpointName(step)}.safetensors`), { force: true });
  }
}

export async function latestCheckpoint(dir: string): Promise<StoredCheckpoint | undefined> {
  const step = (await checkpointSteps(dir)).at(-1);
  if (step === undefined) return undefined;
  const base = path.join(dir, checkpointName(step));
  const record = JSON.parse(await readFile(`${base}.json`, 'utf8')) as { state: JsonValue };
  return {
    step,
    tensors: new Uint8Array(await readFile(`${base}.safetensors`)),
    state: record.state,
  };
}

/** Keeps the metric rows up to `step`: rows of steps that the resumed run trains again go. */
export async function truncateMetrics(file: string, step: number): Promise<void> {
  if (!existsSync(file)) return;
  const kept = (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim().length > 0 && (JSON.parse(line) as MetricRow).step <= step);
  await writeFile(file, kept.map((line) => `${line}\n`).join(''));
}

export interface TrainMlmReport {
  status: TrainMlmResult['status'];
  steps: number;
  total_steps: number;
  epochs: number;
  train_loss: number | null;
  train_accuracy: number | null;
  val_loss: number | null;
  val_accuracy: number | null;
  perplexity: number | null;
  best_val_loss: number | null;
  best_step: number | null;
  tokens_per_second: number;
  seconds: number;
  backend: string;
  resumed_from: number | null;
  out: string;
  files: string[];
}

export const round = (value: number | null | undefined, digits = 6): number | null =>
  value === null || value === undefined || !Number.isFinite(value)
    ? null
    : Number(value.toFixed(digits));

export async function trainMlmCli(
  args: TrainMlmArgs,
  io: CliIo,
  signal?: AbortSignal,
): Promise<TrainMlmReport> {
  const started = performance.now();
  const config = await readConfig(args.config);
  const backendName = args.backend ?? config.training.backend;
  if (backendName === 'webgpu') {
    throw new UsageError(
      'the config asks for the webgpu backend, which needs a browser: pass --backend wasm or cpu',
    );
  }
  config.training.backend = backendName;
  const checkpointsDir = path.join(args.out, CHECKPOINT_DIR);
  const resume = args.resume ? await latestCheckpoint(checkpointsDir) : undefined;
  if (args.resume && !resume) throw new UsageError(`--resume: no checkpoint in ${checkpointsDir}`);
  // A resumed run keeps the tokenizer it started with (copied into <out> at the start).
  const tokenizerSource = resume
    ? path.join(args.out, 'tokenizer.json')
    : (args.tokenizer ?? config.data.tokenizer);
  if (!existsSync(tokenizerSource)) {
    throw new UsageError(
      `tokenizer ${tokenizerSource} not found: pass --tokenizer <tokenizer.json|dir> ` +
        '(train one with `lumina tokenizer train`)',
    );
  }
  const tokenizerFiles = await readTokenizerFiles(tokenizerSource);
  const decoder = new TextDecoder();
  const tokenizer = mlmTokenizerFromJson(
    JSON.parse(decoder.decode(tokenizerFiles['tokenizer.json'])),
    tokenizerFiles['tokenizer_config.json']
      ? JSON.parse(decoder.decode(tokenizerFiles['tokenizer_config.json']))
      : undefined,
  );
  await mkdir(args.out, { recursive: true });
  if (!resume) {
    for (const [name, bytes] of Object.entries(tokenizerFiles)) {
      await writeFile(path.join(args.out, name), bytes);
    }
  }
  const backend = await useBackend(backendName);
  io.stderr(`train mlm: backend ${backend.name} (${backend.detail})`);
  const texts = await readLines(args.corpus);
  const data = await prepareMlmData(texts, tokenizer, config.data, {
    ...(signal ? { signal } : {}),
  });
  io.stderr(
    `train mlm: ${data.texts} texts → ${data.train.inputIds.length} training and ` +
      `${data.validation.inputIds.length} validation sequences of ${config.data.seq_len} tokens`,
  );
  const metricsFile = path.join(args.out, METRICS_FILE);
  if (resume) {
    await truncateMetrics(metricsFile, resume.step);
    io.stderr(`train mlm: resuming at step ${resume.step}`);
  } else {
    await rm(metricsFile, { force: true });
    await rm(checkpointsDir, { recursive: true, force: true });
  }
  const initialWeights = args.init
    ? new Uint8Array(await readFile(modelWeightsPath(args.init)))
    : undefined;
  const result = await trainMlm({
    config,
    tokenizer,
    data,
    ...(initialWeights ? { initialWeights } : {}),
    ...(resume ? { resume: { tensors: resume.tensors, state: resume.state } } : {}),
    ...(signal ? { signal } : {}),
    saveCheckpoint: (checkpoint) =>
      saveCheckpoint(checkpointsDir, checkpoint, args.keepCheckpoints),
    saveMetrics: (rows) =>
      appendFile(metricsFile, rows.map((row) => `${JSON.stringify(row)}\n`).join('')),
    onMetrics: (rows) => {
      for (const row of rows) {
        const v = row.values;
        const extra =
          row.split === 'train'
            ? ` lr ${(v['learning_rate'] ?? 0).toExponential(2)} grad-norm ${(v['grad_norm'] ?? 0).toFixed(3)} ${Math.round(v['tokens_per_second'] ?? 0)} tok/s`
            : '';
        io.stderr(
          `train mlm: step ${row.step} ${row.split} loss ${(v['loss'] ?? NaN).toFixed(4)} ` +
            `acc ${(v['accuracy'] ?? 0).toFixed(4)} ppl ${(v['perplexity'] ?? NaN).toFixed(2)}${extra}`,
        );
      }
    },
  });
  const { summary } = result;
  const files = await writeTrainedModelFiles(args.out, {
    hfConfig: result.hfConfig,
    encoderSafetensors: result.encoderSafetensors,
    tokenizerFiles,
    name: path.basename(path.resolve(args.out)),
    maxSeqLength: config.data.seq_len,
    training: {
      steps: result.step,
      epochs: result.epoch,
      ...(summary.lastTrain?.loss !== undefined ? { trainLoss: summary.lastTrain.loss } : {}),
      ...(summary.lastValidation?.loss !== undefined
        ? { validationLoss: summary.lastValidation.loss }
        : {}),
      ...(summary.lastValidation?.accuracy !== undefined
        ? { maskedAccuracy: summary.lastValidation.accuracy }
        : {}),
      ...(summary.lastValidation?.perplexity !== undefined
        ? { perplexity: summary.lastValidation.perplexity }
        : {}),
      backend: args.backend,
      seed: config.training.seed,
      data: `${args.corpus.length} corpus file(s): ${args.corpus.map((f) => path.basename(f)).join(', ')}`,
    },
  });
  return {
    status: result.status,
    steps: result.step,
    total_steps: result.totalSteps,
    epochs: round(result.epoch, 4) ?? 0,
    train_loss: round(summary.lastTrain?.loss),
    train_accuracy: round(summary.lastTrain?.accuracy),
    val_loss: round(summary.lastValidation?.loss),
    val_accuracy: round(summary.lastValidation?.accuracy),
    perplexity: round(summary.lastValidation?.perplexity ?? summary.lastTrain?.perplexity),
    best_val_loss: round(summary.bestValLoss),
    best_step: summary.bestStep,
    tokens_per_second: round(summary.tokensPerSecond, 1) ?? 0,
    seconds: round((performance.now() - started) / 1000, 3) ?? 0,
    backend: backend.name,
    resumed_from: resume?.step ?? null,
    out: args.out,
    files,
  };
}

/** `--init` takes a model folder or its model.safetensors. */
function modelWeightsPath(source: string): string {
  return source.endsWith('.safetensors') ? source : path.join(source, 'model.safetensors');
}

export async function trainMlmCommand(args: string[], io: CliIo): Promise<void> {
  const parsed = parseTrainMlmArgs(args);
  // Ctrl-C stops after the step under way with a final checkpoint; a second one kills.
  const controller = new AbortController();
  const onInterrupt = () => {
    io.stderr('train mlm: stopping after this step (Ctrl-C again to kill)…');
    controller.abort();
    process.off('SIGINT', onInterrupt);
  };
  process.on('SIGINT', onInterrupt);
  try {
    io.stdout(JSON.stringify(await trainMlmCli(parsed, io, controller.signal)));
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
