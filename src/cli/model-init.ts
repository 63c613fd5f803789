import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sha256Hex } from '../core/hash.ts';
import { BertConfigError } from '../core/model/bert-config.ts';
import { buildSeededModelFolder, TOKENIZER_FILES } from '../core/model/seeded-model-folder.ts';
import { UsageError, type CliIo } from './cli-types.ts';

export interface ModelInitOptions {
  config: string;
  tokenizer: string;
  seed: number;
  out: string;
  pooler: boolean;
  maxSeqLength: number;
}

export interface ModelInitReport {
  out: string;
  seed: number;
  parameters: number;
  files: { path: string; bytes: number; sha256: string }[];
}

/** `lumina model init`: parse options, build the folder, print one JSON line describing it. */
export async function modelInitCommand(args: string[], io: CliIo): Promise<void> {
  const report = await modelInit(parseModelInitArgs(args));
  io.stdout(JSON.stringify(report));
}

export function parseModelInitArgs(args: string[]): ModelInitOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string' },
        tokenizer: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        'no-pooler': { type: 'boolean', default: false },
        'max-seq-length': { type: 'string', default: '256' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const required = (name: 'config' | 'tokenizer' | 'seed' | 'out'): string => {
    const value = values[name];
    if (!value) throw new UsageError(`--${name} is required`);
    return value;
  };
  return {
    config: required('config'),
    tokenizer: required('tokenizer'),
    seed: integerOption('--seed', required('seed'), 0),
    out: required('out'),
    pooler: !values['no-pooler'],
    maxSeqLength: integerOption('--max-seq-length', values['max-seq-length'], 1),
  };
}

export async function modelInit(options: ModelInitOptions): Promise<ModelInitReport> {
  const configJson = await readJsonFile(options.config, '--config');
  const tokenizerFiles = await readTokenizerFiles(options.tokenizer);
  let folder;
  try {
    folder = await buildSeededModelFolder({
      configJson,
      seed: options.seed,
      tokenizerFiles,
      pooler: options.pooler,
      maxSeqLength: options.maxSeqLength,
      producerVersion: await luminaVersion(),
    });
  } catch (error) {
    if (error instanceof BertConfigError) {
      throw new Error(`--config ${options.config}: ${error.message}`, { cause: error });
    }
    throw error;
  }
  const files: ModelInitReport['files'] = [];
  for (const [relative, bytes] of folder.files) {
    const target = path.join(options.out, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
    files.push({ path: relative, bytes: bytes.length, sha256: await sha256Hex(bytes) });
  }
  return {
    out: path.resolve(options.out),
    seed: options.seed,
    parameters: folder.parameters,
    files,
  };
}

/** From package.json rather than npm's environment, so output bytes do not depend on how we ran. */
async function luminaVersion(): Promise<string> {
  const pkg = JSON.parse(
    await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version?: string };
  return pkg.version ?? '0';
}

async function readJsonFile(file: string, option: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(
      `${option} ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? error})`,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${option} ${file}: not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

async function readTokenizerFiles(dir: string): Promise<Map<string, Uint8Array>> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`--tokenizer ${dir}: not a directory`);
  const files = new Map<string, Uint8Array>();
  for (const name of TOKENIZER_FILES) {
    const bytes = await readFile(path.join(dir, name)).catch(() => undefined);
    if (bytes) files.set(name, new Uint8Array(bytes));
  }
  if (!files.has('tokenizer.json')) {
    throw new Error(`--tokenizer ${dir}: no tokenizer.json in that directory`);
  }
  return files;
}

function integerOption(option: string, value: string, min: 0 | 1): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    const kind = min === 0 ? 'a non-negative' : 'a positive';
    throw new UsageError(`${option} must be ${kind} integer, got "${value}"`);
  }
  return parsed;
}
