/**
 * `lumina train clm`: causal-LM pretraining of Lumina's own GPT-2 decoder with TF.js in Node
 * (cpu or wasm backend), the same loop and checkpoint files as `train mlm` (`--resume` continues
 * a stopped or killed run). The config's `model.architecture` is gpt2 (or left out). Without --tokenizer a byte-level BPE is trained on the corpus first.
 * Progress on stderr, one JSON line of metrics on stdout (validation perplexity included), and
 * the decoder in the HF GPT-2 layout in `<out>`, which `lumina ask --generator <out>` and the
 * app's Ask panel load.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { serializeTokenizerJson } from '../core/tokenizer/train/tokenizer-files.ts';
import { formatIssue, parseTrainConfigYaml, type TrainConfig } from '../core/train/config/index.ts';
import { useBackend } from '../core/train/bert/backend.ts';
import {
  causalTokenizerFromJson,
  decoderTokenizerJson,
  prepareCausalLmData,
  trainCausalLm,
  trainDecoderTokenizer,
  trainedDecoderFolder,
  type TrainCausalLmResult,
} from '../core/train/decoder/index.ts';
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

/** Vocabulary of the tokenizer trained on the corpus when the config says `vocab_size: auto`. */
const DEFAULT_VOCAB = 8000;

export interface TrainClmArgs extends TrainCommonArgs {
  vocab: number | undefined;
}

export function parseTrainClmArgs(args: string[]): TrainClmArgs {
  const { values, positionals } = parseTrainArgv(args, {
    ...TRAIN_OPTIONS,
    vocab: { type: 'string' },
  });
  const vocab = values.vocab === undefined ? undefined : Number(values.vocab);
  const common = commonTrainArgs(values, positionals, () => {
    if (vocab !== undefined && (!Number.isInteger(vocab) || vocab < 300)) {
      throw new UsageError('--vocab must be an integer ≥ 300 (256 bytes, specials and merges)');
    }
    if (vocab !== undefined && values.tokenizer) {
      throw new UsageError('--vocab sizes a tokenizer trained here; leave it out with --tokenizer');
    }
  });
  return { ...common, vocab };
}

export interface TrainClmReport {
  status: TrainCausalLmResult['status'];
  steps: number;
  total_steps: number;
  epochs: number;
  train_loss: number | null;
  train_perplexity: number | null;
  val_loss: number | null;
  val_accuracy: number | null;
  val_perplexity: number | null;
  best_val_loss: number | null;
  best_step: number | null;
  parameters: number;
  vocab_size: number;
  tokens_per_second: number;
  seconds: number;
  backend: string;
  resumed_from: number | null;
  out: string;
  files: string[];
}

/**
 * The config file read as a decoder's: `model.architecture: gpt2`, or left out (then the gpt2
 * defaults apply: gelu_new, LayerNorm epsilon 1e-5). A config that says bert is refused rather
 * than trained as something it does not describe.
 */
export async function readDecoderConfig(file: string): Promise<TrainConfig> {
  const result = parseTrainConfigYaml(await readFile(file, 'utf8'), {
    defaultArchitecture: 'gpt2',
  });
  if (!result.ok) {
    throw new UsageError(
      `--config ${file}:\n${result.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`,
    );
  }
  if (result.config.model.architecture !== 'gpt2') {
    throw new UsageError(
      `--config ${file}: model.architecture is "${result.config.model.architecture}"; train clm trains a gpt2 decoder (set architecture: gpt2, or use train mlm for a bert encoder)`,
    );
  }
  return result.config;
}

/** tokenizer.json from --tokenizer (file or folder), the run's own copy, or trained here. */
async function decoderTokenizerText(
  args: TrainClmArgs,
  resuming: boolean,
  texts: readonly string[],
  vocabSize: number,
  io: CliIo,
  signal: AbortSignal | undefined,
): Promise<string> {
  const own = path.join(args.out, 'tokenizer.json');
  if (resuming) return readFile(own, 'utf8');
  if (args.tokenizer) {
    const file = args.tokenizer.endsWith('.json')
      ? args.tokenizer
      : path.join(args.tokenizer, 'tokenizer.json');
    if (!existsSync(file)) throw new UsageError(`--tokenizer ${file} does not exist`);
    return readFile(file, 'utf8');
  }
  io.stderr(`train clm: training a byte-level BPE of ${vocabSize} tokens on the corpus`);
  const trained = await trainDecoderTokenizer(texts, { vocabSize }, signal ? { signal } : {});
  return serializeTokenizerJson(trained.tokenizerJson);
}

export async function trainClmCli(
  args: TrainClmArgs,
  io: CliIo,
  signal?: AbortSignal,
): Promise<TrainClmReport> {
  const started = performance.now();
  const config = await readDecoderConfig(args.config);
  const backendName = nodeBackend(args, config);
  config.training.backend = backendName;
  const resume = await resumeCheckpoint(args);
  const texts = await readLines(args.corpus);
  const vocabSize =
    args.vocab ?? (config.model.vocab_size === 'auto' ? DEFAULT_VOCAB : config.model.vocab_size);
  const tokenizerText = await decoderTokenizerText(
    args,
    resume !== undefined,
    texts,
    vocabSize,
    io,
    signal,
  );
  const tokenizerJson = decoderTokenizerJson(JSON.parse(tokenizerText));
  const tokenizer = causalTokenizerFromJson(tokenizerJson);
  await mkdir(args.out, { recursive: true });
  // A resumed run keeps the tokenizer it started with (written into <out> at the start).
  if (!resume) await writeFile(path.join(args.out, 'tokenizer.json'), tokenizerText);
  const backend = await useBackend(backendName);
  io.stderr(`train clm: backend ${backend.name} (${backend.detail})`);
  const data = await prepareCausalLmData(texts, tokenizer, config.data, signal ? { signal } : {});
  reportData('clm', 'blocks', data, config.data.seq_len, io);
  const result = await trainCausalLm({
    config,
    tokenizer,
    data,
    ...(await trainerRunOptions('clm', args, resume, io, signal)),
  });
  const { summary } = result;
  const files = await trainedDecoderFolder({
    config: result.decoderConfig,
    weights: result.weights,
    tokenizer: tokenizerJson,
    name: path.basename(path.resolve(args.out)),
    training: {
      steps: result.step,
      epochs: result.epoch,
      ...(summary.lastTrain ? { trainLoss: summary.lastTrain.loss } : {}),
      ...(summary.lastValidation
        ? {
            validationLoss: summary.lastValidation.loss,
            validationPerplexity: summary.lastValidation.perplexity,
          }
        : {}),
      data: `${args.corpus.length} corpus file(s): ${args.corpus.map((f) => path.basename(f)).join(', ')}`,
    },
    // No signal: a stopped run still writes its folder (Ctrl-C means stop training, then save).
  });
  const written = await writeFiles(args.out, files);
  return {
    status: result.status,
    steps: result.step,
    total_steps: result.totalSteps,
    epochs: round(result.epoch, 4) ?? 0,
    train_loss: round(summary.lastTrain?.loss),
    train_perplexity: round(summary.lastTrain?.perplexity),
    val_loss: round(summary.lastValidation?.loss),
    val_accuracy: round(summary.lastValidation?.accuracy),
    val_perplexity: round(summary.lastValidation?.perplexity),
    best_val_loss: round(summary.bestValLoss),
    best_step: summary.bestStep,
    parameters: [...result.weights.values()].reduce((n, t) => n + t.data.length, 0),
    vocab_size: result.decoderConfig.vocabSize,
    tokens_per_second: round(summary.tokensPerSecond, 1) ?? 0,
    seconds: round((performance.now() - started) / 1000, 3) ?? 0,
    backend: backend.name,
    resumed_from: resume?.step ?? null,
    out: args.out,
    files: written,
  };
}

export async function trainClmCommand(args: string[], io: CliIo): Promise<void> {
  const parsed = parseTrainClmArgs(args);
  await runTrainCommand('clm', io, (signal) => trainClmCli(parsed, io, signal));
}
