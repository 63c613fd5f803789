/**
 * `lumina train clm`: causal-LM pretraining of Lumina's own GPT-2 decoder with TF.js in Node
 * (cpu or wasm backend), the same loop and checkpoint files as `train mlm` (`--resume` continues
 * a stopped or killed run). The config's `model.architecture` is gpt2 (or left out). Without --tokenizer a byte-level BPE is trained on the corpus first.
 * Progress on stderr, one JSON line of metrics on stdout (validation perplexity included), and
 * the decoder in the HF GPT-2 layout in `<out>`, which `lumina ask --generator <out>` and the
 * app's Ask panel load.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { serializeTokenizerJson } from '../core/tokenizer/train/tokenizer-files.ts';
import type { TrainConfig } from '../core/train/config/index.ts';
import {
  causalTokenizerFromJson,
  decoderTokenizerJson,
  prepareCausalLmData,
  trainCausalLm,
  trainDecoderTokenizer,
  trainedDecoderFolder,
} from '../core/train/decoder/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';
import {
  commonTrainArgs,
  corpusDescription,
  openTrainRun,
  parseTrainArgv,
  readLines,
  readTrainConfig,
  round,
  runTrainCommand,
  TRAIN_OPTIONS,
  writeFiles,
  type TrainCommonArgs,
  type TrainReport,
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

export interface TrainClmReport extends TrainReport {
  train_perplexity: number | null;
  val_perplexity: number | null;
  parameters: number;
  vocab_size: number;
}

/**
 * The config file read as a decoder's: `model.architecture: gpt2`, or left out (then the gpt2
 * defaults apply: gelu_new, LayerNorm epsilon 1e-5). A config that says bert is refused rather
 * than trained as something it does not describe.
 */
export async function readDecoderConfig(file: string): Promise<TrainConfig> {
  const config = await readTrainConfig(file, { defaultArchitecture: 'gpt2' });
  if (config.model.architecture !== 'gpt2') {
    throw new UsageError(
      `--config ${file}: model.architecture is "${config.model.architecture}"; train clm trains a gpt2 decoder (set architecture: gpt2, or use train mlm for a bert encoder)`,
    );
  }
  return config;
}

/** tokenizer.json from --tokenizer (file or folder), the run's own copy, or trained here. */
async function decoderTokenizerText(
  args: TrainClmArgs,
  /** The run's own tokenizer.json when resuming. */
  own: string | undefined,
  texts: readonly string[],
  vocabSize: number,
  io: CliIo,
  signal: AbortSignal | undefined,
): Promise<string> {
  if (own) return readFile(own, 'utf8');
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
  const run = await openTrainRun('clm', args, readDecoderConfig, io, signal);
  const { config, resume } = run;
  const texts = await readLines(args.corpus);
  const vocabSize =
    args.vocab ?? (config.model.vocab_size === 'auto' ? DEFAULT_VOCAB : config.model.vocab_size);
  const tokenizerText = await decoderTokenizerText(
    args,
    resume ? run.ownTokenizerFile : undefined,
    texts,
    vocabSize,
    io,
    signal,
  );
  const tokenizerJson = decoderTokenizerJson(JSON.parse(tokenizerText));
  const tokenizer = causalTokenizerFromJson(tokenizerJson);
  await run.keepTokenizer({ 'tokenizer.json': tokenizerText });
  const backend = await run.startBackend();
  const data = await prepareCausalLmData(texts, tokenizer, config.data, signal ? { signal } : {});
  const result = await run.train('blocks', data, (options) =>
    trainCausalLm({ config, tokenizer, data, ...options }),
  );
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
      data: corpusDescription(args.corpus),
    },
    // No signal: a stopped run still writes its folder (Ctrl-C means stop training, then save).
  });
  const written = await writeFiles(args.out, files);
  return {
    ...run.report(result, backend, written),
    train_perplexity: round(summary.lastTrain?.perplexity),
    val_perplexity: round(summary.lastValidation?.perplexity),
    parameters: [...result.weights.values()].reduce((n, t) => n + t.data.length, 0),
    vocab_size: result.decoderConfig.vocabSize,
  };
}

export async function trainClmCommand(args: string[], io: CliIo): Promise<void> {
  const parsed = parseTrainClmArgs(args);
  await runTrainCommand('clm', io, (signal) => trainClmCli(parsed, io, signal));
}
