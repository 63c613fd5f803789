/**
 * `lumina tokenizer train`: trains a byte-level BPE or WordPiece tokenizer on text files, writes
 * tokenizer.json with tokenizer_config.json and special_tokens_map.json beside it, shows progress
 * on stderr and prints one JSON line of metrics on stdout.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Progress } from '../core/progress.ts';
import {
  runTokenizerJob,
  type TokenizerJobResult,
  type TokenizerTrainOptions,
} from '../core/tokenizer/train/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';

export interface TokenizerTrainArgs {
  corpus: string[];
  heldOut: string | undefined;
  holdOutEvery: number;
  out: string;
  options: TokenizerTrainOptions;
}

function integer(name: string, value: string, min: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    throw new UsageError(`${name} must be an integer ≥ ${min}, got "${value}"`);
  }
  return parsed;
}

export function parseTokenizerTrainArgs(args: string[]): TokenizerTrainArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        corpus: { type: 'string', multiple: true },
        type: { type: 'string' },
        vocab: { type: 'string' },
        'min-frequency': { type: 'string' },
        lowercase: { type: 'boolean' },
        cased: { type: 'boolean' },
        'strip-accents': { type: 'boolean' },
        'add-prefix-space': { type: 'boolean' },
        'limit-alphabet': { type: 'string' },
        special: { type: 'string' },
        'held-out': { type: 'string' },
        'hold-out-every': { type: 'string' },
        'model-max-length': { type: 'string' },
        out: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const { values, positionals } = parsed;
  // `--corpus a.txt b.txt`: files after the first land among the positionals.
  const corpus = [...(values.corpus ?? []), ...positionals];
  if (corpus.length === 0) throw new UsageError('--corpus needs at least one file');
  const type = values.type;
  if (type !== 'bpe' && type !== 'wordpiece')
    throw new UsageError('--type must be bpe or wordpiece');
  if (!values.vocab) throw new UsageError('--vocab is required');
  if (!values.out) throw new UsageError('--out is required');
  if (values.lowercase && values.cased)
    throw new UsageError('give --lowercase or --cased, not both');
  const special = values.special
    ?.split(',')
    .map((token) => token.trim())
    .filter(Boolean);
  const options: TokenizerTrainOptions = {
    type,
    vocabSize: integer('--vocab', values.vocab, 1),
    ...(values['min-frequency'] !== undefined && {
      minFrequency: integer('--min-frequency', values['min-frequency'], 0),
    }),
    ...(values.lowercase && { lowercase: true }),
    ...(values.cased && { lowercase: false }),
    ...(values['strip-accents'] !== undefined && { stripAccents: values['strip-accents'] }),
    ...(values['add-prefix-space'] && { addPrefixSpace: true }),
    ...(values['limit-alphabet'] !== undefined && {
      limitAlphabet: integer('--limit-alphabet', values['limit-alphabet'], 1),
    }),
    ...(values['model-max-length'] !== undefined && {
      modelMaxLength: integer('--model-max-length', values['model-max-length'], 1),
    }),
    ...(special && special.length > 0 && { specialTokens: special }),
  };
  return {
    corpus,
    heldOut: values['held-out'],
    holdOutEvery:
      values['hold-out-every'] === undefined
        ? 0
        : integer('--hold-out-every', values['hold-out-every'], 2),
    out: values.out,
    options,
  };
}

async function readLines(file: string, what: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`${what} ${file}: ${(error as Error).message}`, { cause: error });
  }
  return text.split(/\r?\n/);
}

/** Progress lines on stderr, at most one a second plus the phase changes and the end. */
function progressPrinter(io: CliIo): (event: Progress) => void {
  let last = 0;
  let lastMessage = '';
  return (event) => {
    const now = Date.now();
    const phase = event.message.split(':')[0] ?? '';
    if (event.status === 'progress' && now - last < 1000 && phase === lastMessage) return;
    last = now;
    lastMessage = phase;
    io.stderr(`tokenizer train: ${Math.floor(event.fraction * 100)}% ${event.message}`);
  };
}

export interface TokenizerTrainReport {
  out: string;
  files: string[];
  type: TokenizerTrainOptions['type'];
  vocabSize: number;
  requestedVocabSize: number;
  merges: number;
  stop: TokenizerJobResult['stats']['stop'];
  seconds: number;
  corpus: { files: number; texts: number; chars: number; distinctWords: number };
  coverage: TokenizerJobResult['coverage'];
}

export async function tokenizerTrain(
  args: TokenizerTrainArgs,
  io: CliIo,
): Promise<TokenizerTrainReport> {
  const texts: string[] = [];
  for (const file of args.corpus) texts.push(...(await readLines(file, '--corpus')));
  const heldOutTexts = args.heldOut
    ? (await readLines(args.heldOut, '--held-out')).filter((line) => line.trim().length > 0)
    : undefined;
  const result = await runTokenizerJob(
    texts,
    {
      options: args.options,
      heldOutTexts,
      holdOutEvery: args.holdOutEvery,
      expectedChars: texts.reduce((sum, text) => sum + text.length, 0),
    },
    { onProgress: progressPrinter(io) },
  );
  const dir = path.dirname(args.out);
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of Object.entries(result.files)) {
    const file = name === 'tokenizer.json' ? args.out : path.join(dir, name);
    await writeFile(file, text);
    written.push(file);
  }
  const { stats } = result;
  return {
    out: args.out,
    files: written,
    type: stats.type,
    vocabSize: stats.vocabSize,
    requestedVocabSize: stats.requestedVocabSize,
    merges: stats.merges,
    stop: stats.stop,
    seconds: Number(stats.seconds.toFixed(3)),
    corpus: {
      files: args.corpus.length,
      texts: stats.corpusTexts,
      chars: stats.corpusChars,
      distinctWords: stats.distinctWords,
    },
    coverage: result.coverage,
  };
}

export async function tokenizerTrainCommand(args: string[], io: CliIo): Promise<void> {
  const report = await tokenizerTrain(parseTokenizerTrainArgs(args), io);
  io.stdout(JSON.stringify(report));
}
