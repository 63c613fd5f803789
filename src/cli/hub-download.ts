import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { abortError, isAbortError, throwIfAborted } from '../core/abort.ts';
import { displayUrl, hubFileUrl, hubModelDir, type HubModelRef } from './hub-model-ref.ts';

/** Files the CLI needs to load a model; the order puts the small ones first to fail fast. */
export const REQUIRED_HUB_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
] as const;

/** Files used when the repository has them (sentence-transformers pooling, older tokenizers). */
export const OPTIONAL_HUB_FILES = [
  'special_tokens_map.json',
  'vocab.txt',
  'modules.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
  '1_Pooling/config.json',
] as const;

/**
 * Written last, once every file is in place: lists what the repository had, so a later run knows
 * the folder is complete (optional files that were absent included) without asking the network.
 */
export const HUB_COMPLETE_MARKER = '.lumina-hub.json';

export interface HubFileProgress {
  file: string;
  /** Bytes written so far. */
  done: number;
  /** From content-length; null when the server did not say. */
  total: number | null;
  /** True on the last event of a file. */
  finished: boolean;
}

export interface HubDownloadOptions {
  /** Base URL without a trailing slash, e.g. https://huggingface.co. */
  hubUrl: string;
  /** Cache root; the model lands in `<cacheDir>/hub/<id>/<revision>/`. */
  cacheDir: string;
  /** Sent as a bearer token (gated or private repositories); never printed. */
  token?: string;
  signal?: AbortSignal;
  onProgress?: (event: HubFileProgress) => void;
  /**
   * The files to fetch, in order; default the ONNX model's ({@link REQUIRED_HUB_FILES}, then
   * {@link OPTIONAL_HUB_FILES}). Fine-tuning asks for model.safetensors instead of the ONNX graph.
   */
  files?: { required: readonly string[]; optional: readonly string[] };
  /** The option that takes a local folder instead, named in errors; default `--model`. */
  folderOption?: string;
}

export interface HubModelFolder {
  dir: string;
  /** True when every file came from the cache and the network was not asked. */
  fromCache: boolean;
}

interface CompleteMarker {
  id: string;
  revision: string;
  files: string[];
  absent: string[];
}

/** A download that failed for a reason worth telling the user as is (not a bug, not an abort). */
export class HubDownloadError extends Error {
  override name = 'HubDownloadError';
}

/**
 * The model's folder in the download cache, fetching what is missing. Each file is streamed to a
 * temporary name and renamed into place only when whole, so an interrupted run never leaves a file
 * a later run would take for complete.
 */
export async function fetchHubModel(
  ref: HubModelRef,
  options: HubDownloadOptions,
): Promise<HubModelFolder> {
  const dir = hubModelDir(options.cacheDir, ref);
  const requiredFiles = options.files?.required ?? REQUIRED_HUB_FILES;
  if (await isComplete(dir, ref, requiredFiles)) return { dir, fromCache: true };
  const present: string[] = [];
  const absent: string[] = [];
  // Weights last: a wrong id or a refused repository shows on the small files first.
  const isWeights = (file: string) => /\.(onnx|safetensors)$/.test(file);
  const wanted = [
    ...requiredFiles.filter((file) => !isWeights(file)),
    ...(options.files?.optional ?? OPTIONAL_HUB_FILES),
    ...requiredFiles.filter(isWeights),
  ];
  for (const file of wanted) {
    throwIfAborted(options.signal);
    const target = path.join(dir, ...file.split('/'));
    const required = requiredFiles.includes(file);
    if (await isFile(target)) {
      present.push(file);
      continue;
    }
    const outcome = await downloadFile(ref, file, target, required, options);
    (outcome === 'absent' ? absent : present).push(file);
  }
  const marker: CompleteMarker = { id: ref.id, revision: ref.revision, files: present, absent };
  await writeAtomically(
    path.join(dir, HUB_COMPLETE_MARKER),
    `${JSON.stringify(marker, null, 2)}\n`,
  );
  return { dir, fromCache: false };
}

async function isComplete(
  dir: string,
  ref: HubModelRef,
  required: readonly string[],
): Promise<boolean> {
  let marker: Partial<CompleteMarker>;
  try {
    marker = JSON.parse(
      await readFile(path.join(dir, HUB_COMPLETE_MARKER), 'utf8'),
    ) as Partial<CompleteMarker>;
  } catch {
    return false;
  }
  if (marker.id !== ref.id || marker.revision !== ref.revision || !Array.isArray(marker.files)) {
    return false;
  }
  const files = marker.files;
  if (!required.every((file) => files.includes(file))) return false;
  for (const file of files) {
    if (typeof file !== 'string' || !(await isFile(path.join(dir, ...file.split('/'))))) {
      return false;
    }
  }
  return true;
}

async function downloadFile(
  ref: HubModelRef,
  file: string,
  target: string,
  required: boolean,
  options: HubDownloadOptions,
): Promise<'downloaded' | 'absent'> {
  const url = hubFileUrl(options.hubUrl, ref, file);
  const where = `model ${ref.id} (revision ${ref.revision})`;
  const { signal } = options;
  let response: Response;
  try {
    response = await fetch(url, {
      ...(signal ? { signal } : {}),
      ...(options.token ? { headers: { authorization: `Bearer ${options.token}` } } : {}),
    });
  } catch (error) {
    if (signal?.aborted || isAbortError(error)) throw abortReason(signal);
    throw new HubDownloadError(
      `${where}: could not download ${file} from ${displayUrl(url)}: ${describe(error)}. ` +
        'Without network, set LUMINA_HUB_URL to a reachable mirror or pass a local model ' +
        `folder to ${options.folderOption ?? '--model'}.`,
      { cause: error },
    );
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 404 && !required) return 'absent';
    throw new HubDownloadError(
      statusMessage(where, file, url, response.status, options.folderOption ?? '--model'),
    );
  }
  const total = declaredLength(response);
  const temporary = path.join(
    path.dirname(target),
    `.${path.basename(target)}.${randomUUID()}.part`,
  );
  await mkdir(path.dirname(target), { recursive: true });
  const handle = await open(temporary, 'wx');
  let done = 0;
  try {
    try {
      options.onProgress?.({ file, done, total, finished: false });
      if (response.body) {
        for await (const piece of response.body) {
          await handle.write(piece);
          done += piece.byteLength;
          options.onProgress?.({ file, done, total, finished: false });
        }
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (total !== null && done !== total) {
      throw new HubDownloadError(
        `${where}: ${file} from ${displayUrl(url)} ended after ${done} of ${total} bytes`,
      );
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    if (signal?.aborted || isAbortError(error)) throw abortReason(signal);
    if (error instanceof HubDownloadError) throw error;
    throw new HubDownloadError(
      `${where}: download of ${file} from ${displayUrl(url)} broke off after ${done}` +
        `${total === null ? '' : ` of ${total}`} bytes: ${describe(error)}; run again to retry`,
      { cause: error },
    );
  }
  options.onProgress?.({ file, done, total, finished: true });
  return 'downloaded';
}

function statusMessage(
  where: string,
  file: string,
  url: string,
  status: number,
  folderOption: string,
): string {
  const shown = displayUrl(url);
  if (status === 404) {
    return (
      `${where}: ${file} was not found on ${shown}: 404 ` +
      `(check the id and --revision; ${folderOption} also takes a local model folder)`
    );
  }
  if (status === 401 || status === 403) {
    return (
      `${where}: ${file} was refused by ${shown}: ${status}; the model may be gated or ` +
      'private: set HF_TOKEN to a token that may read it, or pass a local model folder to ' +
      folderOption
    );
  }
  return `${where}: ${file} could not be downloaded from ${shown}: ${status}`;
}

/** The body's length in bytes; unknown when absent or when the body is compressed in transit. */
function declaredLength(response: Response): number | null {
  const encoding = response.headers.get('content-encoding');
  if (encoding && encoding !== 'identity') return null;
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}

/** fetch's own message is a bare "fetch failed"; the reason is in its cause. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause && cause !== error.message ? `${error.message} (${cause})` : error.message;
}

function abortReason(signal: AbortSignal | undefined): Error {
  return signal?.reason instanceof Error ? signal.reason : abortError();
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() ?? false;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${randomUUID()}.part`;
  await writeFile(temporary, text);
  await rename(temporary, file);
}
