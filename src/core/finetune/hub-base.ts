import { abortError, isAbortError, throwIfAborted } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';

/** What fine-tuning reads from a Hub repository: the safetensors weights, not the ONNX graph. */
export const FINETUNE_HUB_FILES = {
  required: ['config.json', 'tokenizer.json', 'model.safetensors'],
  optional: [
    'tokenizer_config.json',
    'special_tokens_map.json',
    'vocab.txt',
    'modules.json',
    '1_Pooling/config.json',
  ],
} as const;

/** A download that failed for a reason to show the user as is. */
export class HubBaseError extends Error {
  override name = 'HubBaseError';
}

export interface HubBaseOptions {
  /** The Hub (or a server with its URL scheme), without a trailing slash. */
  hubUrl: string;
  revision?: string;
  /** Bearer token for gated or private repositories; never shown. */
  token?: string;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

const ID_PART = /^[A-Za-z0-9_.-]{1,96}$/;

/** `owner/name` with the characters the Hub allows (no `--`, `..`, leading or trailing `-`/`.`). */
export function isHubModelId(id: string): boolean {
  const parts = id.split('/');
  return (
    parts.length === 2 &&
    parts.every(
      (part) =>
        ID_PART.test(part) &&
        !/^[-.]|[-.]$/.test(part) &&
        !part.includes('--') &&
        !part.includes('..'),
    )
  );
}

/**
 * A BERT-family model's files from the Hub as fine-tuning needs them (config, tokenizer,
 * model.safetensors, pooling when present), in memory. Works in Node, pages and workers (fetch).
 * Offline or refused, it says so and what to do instead.
 */
export async function downloadHubBase(
  id: string,
  options: HubBaseOptions,
): Promise<Map<string, Uint8Array>> {
  if (!isHubModelId(id)) throw new HubBaseError(`"${id}" is not a Hub model id (owner/name)`);
  const revision = options.revision ?? 'main';
  const hubUrl = options.hubUrl.replace(/\/+$/, '');
  const progress = new ProgressReporter(options.onProgress);
  progress.start(`Downloading ${id}`);
  const wanted = [
    ...FINETUNE_HUB_FILES.required.filter((file) => file !== 'model.safetensors'),
    ...FINETUNE_HUB_FILES.optional,
    'model.safetensors',
  ];
  const files = new Map<string, Uint8Array>();
  for (const [index, file] of wanted.entries()) {
    throwIfAborted(options.signal);
    const required = (FINETUNE_HUB_FILES.required as readonly string[]).includes(file);
    const url = `${hubUrl}/${id}/resolve/${encodeURIComponent(revision)}/${file}`;
    const where = `${id} (revision ${revision})`;
    let response: Response;
    try {
      response = await fetch(url, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {}),
      });
    } catch (error) {
      if (options.signal?.aborted || isAbortError(error)) throw abortError();
      throw new HubBaseError(
        `Could not download ${file} of ${where} from ${hubUrl}: ${describe(error)}. ` +
          'Offline? Pick a local model folder with model.safetensors instead, or point the Hub ' +
          'endpoint at a reachable mirror.',
        { cause: error },
      );
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      if (response.status === 404 && !required) continue;
      throw new HubBaseError(
        response.status === 404
          ? `${where} has no ${file} on ${hubUrl} (404): fine-tuning needs a BERT-family model ` +
              'with config.json, tokenizer.json and model.safetensors'
          : response.status === 401 || response.status === 403
            ? `${where}: ${file} was refused by ${hubUrl} (${response.status}); the model may be ` +
              'gated or private'
            : `${where}: ${file} could not be downloaded from ${hubUrl} (${response.status})`,
      );
    }
    const total = Number(response.headers.get('content-length') ?? Number.NaN);
    const chunks: Uint8Array[] = [];
    let done = 0;
    const report = () =>
      progress.update(
        index + (Number.isFinite(total) && total > 0 ? Math.min(1, done / total) : 0),
        wanted.length,
        `${file}: ${(done / 2 ** 20).toFixed(1)} MiB` +
          (Number.isFinite(total) ? ` of ${(total / 2 ** 20).toFixed(1)} MiB` : ''),
      );
    report();
    try {
      const reader = response.body?.getReader();
      for (let part = await reader?.read(); part && !part.done; part = await reader?.read()) {
        chunks.push(part.value);
        done += part.value.byteLength;
        report();
      }
    } catch (error) {
      if (options.signal?.aborted || isAbortError(error)) throw abortError();
      throw new HubBaseError(
        `The download of ${file} of ${where} broke off after ${done} bytes; try again`,
        { cause: error },
      );
    }
    if (Number.isFinite(total) && !response.headers.get('content-encoding') && done !== total) {
      throw new HubBaseError(`${file} of ${where} ended after ${done} of ${total} bytes`);
    }
    const bytes = new Uint8Array(done);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    files.set(file, bytes);
  }
  progress.finish(`Downloaded ${id}`);
  return files;
}

/** fetch's own message is a bare "fetch failed"; the reason is in its cause. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && cause !== error.message ? `${error.message} (${cause})` : error.message;
}
