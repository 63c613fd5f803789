import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from './cli-types.ts';
import { isValidRevision } from './hub-model-ref.ts';

export type CliDevice = 'auto' | 'wasm' | 'webgpu';

export interface EmbedOptions {
  inputs: string[];
  /** A local Hugging Face layout folder, or a hub id (`owner/name`). */
  model: string;
  /** Hub revision (branch, tag or commit) when `model` is a hub id; undefined: `main`. */
  revision: string | undefined;
  out: string;
  device: CliDevice;
  /** Undefined: the model's max tokens less its two special tokens, at most 256. */
  chunkTokens: number | undefined;
  /** Undefined: 32, or less when the chunks are small. */
  overlap: number | undefined;
  /** Padded tokens per batch. */
  batchTokens: number;
}

export const DEFAULT_BATCH_TOKENS = 4096;
const DEVICES: readonly CliDevice[] = ['auto', 'wasm', 'webgpu'];

export function parseEmbedArgs(args: string[]): EmbedOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        revision: { type: 'string' },
        out: { type: 'string' },
        device: { type: 'string', default: 'auto' },
        'chunk-tokens': { type: 'string' },
        overlap: { type: 'string' },
        'batch-tokens': { type: 'string', default: String(DEFAULT_BATCH_TOKENS) },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('give at least one file or folder to embed');
  if (!values.model) throw new UsageError('--model is required');
  if (!values.out) throw new UsageError('--out is required');
  if (values.revision !== undefined && !isValidRevision(values.revision)) {
    throw new UsageError(`--revision "${values.revision}" is not a branch, tag or commit name`);
  }
  const device = values.device as CliDevice;
  if (!DEVICES.includes(device)) {
    throw new UsageError(`--device must be one of ${DEVICES.join(', ')}, got "${values.device}"`);
  }
  const chunkTokens = values['chunk-tokens'];
  const overlap = values.overlap;
  return {
    inputs: positionals,
    model: values.model,
    revision: values.revision,
    out: path.resolve(values.out),
    device,
    chunkTokens: chunkTokens === undefined ? undefined : integer('--chunk-tokens', chunkTokens, 1),
    overlap: overlap === undefined ? undefined : integer('--overlap', overlap, 0),
    batchTokens: integer('--batch-tokens', values['batch-tokens'], 1),
  };
}

function integer(option: string, value: string, min: 0 | 1): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    const kind = min === 0 ? 'a non-negative' : 'a positive';
    throw new UsageError(`${option} must be ${kind} integer, got "${value}"`);
  }
  return parsed;
}
