/**
 * `lumina train mlm`: MLM pretraining of a BERT encoder on text files with TF.js in Node (cpu or
 * wasm backend). Checkpoints go to `<out>/checkpoints/` as files, so `--resume` continues a run
 * that was stopped (Ctrl-C writes a final checkpoint) or killed. Progress on stderr, one JSON
 * line of metrics on stdout, and the encoder in the HF layout in `<out>`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { useBackend } from '../core/train/bert/backend.ts';
import { parseBertEncoderConfig } from '../core/train/bert/config.ts';
import { readBertSafetensors } from '../core/train/bert/weights-io.ts';
import { exportTrainedModel, type TrainingSummary } from '../core/train/export/index.ts';
import { formatIssue, parseTrainConfigYaml, type TrainConfig } from '../core/train/config/index.ts';
import { mlmTokenizerFromJson, prepareMlmData } from '../core/train/data/index.ts';
import { trainMlm, type TrainedModelInput, type TrainMlmResult } from '../core/train/loop/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';
import {
  commonTrainArgs,
  nodeBackend,
  parseTrainArgv,
  readLines,
  resumeCheckpoint,
  round,
  reportData,
  runTrainCommand,
  TRAIN_OPTIONS,
  trainerRunOptions,
  writeFiles,
  type TrainCommonArgs,
} from './train-common.ts';

/** Tokenizer files copied next to the model when present beside tokenizer.json. */
const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
];
export type TrainMlmArgs = TrainCommonArgs;

export function parseTrainMlmArgs(args: string[]): TrainMlmArgs {
  const { values, positionals } = parseTrainArgv(args, TRAIN_OPTIONS);
  return commonTrainArgs(values, positionals);
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
  return writeFiles(dir, files);
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

export async function trainMlmCli(
  args: TrainMlmArgs,
  io: CliIo,
  signal?: AbortSignal,
): Promise<TrainMlmReport> {
  const started = performance.now();
  const config = await readConfig(args.config);
  const backendName = nodeBackend(args, config);
  config.training.backend = backendName;
  const resume = await resumeCheckpoint(args);
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
  reportData('mlm', 'sequences', data, config.data.seq_len, io);
  const result = await trainMlm({
    config,
    tokenizer,
    data,
    ...(await trainerRunOptions('mlm', args, resume, io, signal)),
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

export async function trainMlmCommand(args: string[], io: CliIo): Promise<void> {
  const parsed = parseTrainMlmArgs(args);
  await runTrainCommand('mlm', io, (signal) => trainMlmCli(parsed, io, signal));
}
