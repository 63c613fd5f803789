/**
 * `lumina train mlm`: MLM pretraining of a BERT encoder on text files with TF.js in Node (cpu or
 * wasm backend). Checkpoints go to `<out>/checkpoints/` as files, so `--resume` continues a run
 * that was stopped (Ctrl-C writes a final checkpoint) or killed. Progress on stderr, one JSON
 * line of metrics on stdout, and the encoder in the HF layout in `<out>`.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseBertEncoderConfig } from '../core/train/bert/config.ts';
import { readBertSafetensors } from '../core/train/bert/weights-io.ts';
import { exportTrainedModel, type TrainingSummary } from '../core/train/export/index.ts';
import { mlmTokenizerFromJson, prepareMlmData } from '../core/train/data/index.ts';
import { trainMlm, type TrainedModelInput } from '../core/train/loop/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';
import {
  corpusDescription,
  openTrainRun,
  parseCommonTrainArgs,
  readLines,
  readTrainConfig,
  round,
  runTrainCommand,
  writeFiles,
  type TrainCommonArgs,
  type TrainReport,
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
  return parseCommonTrainArgs(args);
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

export interface TrainMlmReport extends TrainReport {
  train_accuracy: number | null;
  perplexity: number | null;
}

export async function trainMlmCli(
  args: TrainMlmArgs,
  io: CliIo,
  signal?: AbortSignal,
): Promise<TrainMlmReport> {
  const run = await openTrainRun('mlm', args, readTrainConfig, io, signal);
  const { config, resume } = run;
  const tokenizerSource = resume ? run.ownTokenizerFile : (args.tokenizer ?? config.data.tokenizer);
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
  await run.keepTokenizer(tokenizerFiles);
  const backend = await run.startBackend();
  const texts = await readLines(args.corpus);
  const data = await prepareMlmData(texts, tokenizer, config.data, {
    ...(signal ? { signal } : {}),
  });
  const result = await run.train('sequences', data, (options) =>
    trainMlm({ config, tokenizer, data, ...options }),
  );
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
      data: corpusDescription(args.corpus),
    },
  });
  return {
    ...run.report(result, backend, files),
    train_accuracy: round(summary.lastTrain?.accuracy),
    perplexity: round(summary.lastValidation?.perplexity ?? summary.lastTrain?.perplexity),
  };
}

export async function trainMlmCommand(args: string[], io: CliIo): Promise<void> {
  const parsed = parseTrainMlmArgs(args);
  await runTrainCommand('mlm', io, (signal) => trainMlmCli(parsed, io, signal));
}
