/**
 * Model folders in the Hugging Face layout as zip files: written with the HF paths at the zip
 * root, and read back as untrusted input (entry and size caps, zip-bomb check, no path
 * traversal) before anything is inflated for real.
 */

import { inflateSync } from 'fflate';
import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { BundleError } from '../bundle/format.ts';
import { MAX_ZIP_BYTES, writeZip, type ZipEntryInput } from '../bundle/zip.ts';
import {
  checkInflatedSizes,
  listZipEntries,
  type BundleLimits,
  type ZipEntryRecord,
} from '../bundle/zip-guard.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';

/** The files without which Lumina cannot run a model folder. */
export const RUNNABLE_MODEL_FILES = ['config.json', 'tokenizer.json', 'onnx/model.onnx'] as const;

export type ModelArchiveLimits = BundleLimits;

/**
 * A model zip is at most 4 GiB (no ZIP64). An HF folder holds tens of files; 512 leaves room
 * for several ONNX variants and sharded weights while refusing archives of thousands of entries.
 */
export const DEFAULT_MODEL_ARCHIVE_LIMITS: ModelArchiveLimits = {
  maxZipBytes: MAX_ZIP_BYTES,
  maxTotalBytes: MAX_ZIP_BYTES,
  maxFileBytes: MAX_ZIP_BYTES,
  maxEntries: 512,
  // tokenizer.json and vocab.txt deflate about 3-10×; weights barely shrink.
  maxRatio: 200,
};

export class ModelArchiveError extends Error {
  override name = 'ModelArchiveError';
}

export interface ModelZipOptions {
  /** Every entry's modification time; default now. */
  modified?: Date;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface ModelFromZipOptions {
  limits?: ModelArchiveLimits;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** Text files deflate well; ONNX, safetensors and other weights are stored as they are. */
const DEFLATED_EXTENSIONS = ['.json', '.txt', '.md', '.model', '.py', '.yaml', '.yml'];
const STORED_METHOD = 0;
// Characters Windows, macOS or a shell would read as something other than a plain name.
const UNSAFE_CHARACTERS = /[\\:*?"<>|]/u;

function unsafeSegment(segment: string): boolean {
  if (UNSAFE_CHARACTERS.test(segment)) return true;
  for (let i = 0; i < segment.length; i += 1) {
    const code = segment.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** The model folder as zip bytes with its HF paths (`onnx/model.onnx`) at the zip root. */
export async function modelZip(
  files: ReadonlyMap<string, Uint8Array | Blob>,
  name: string,
  options: ModelZipOptions = {},
): Promise<Uint8Array> {
  const paths = [...files.keys()].sort();
  for (const path of paths) checkModelPath(path);
  if (!paths.length) throw new ModelArchiveError(`${name} has no files to zip`);
  const progress = new ProgressReporter(options.onProgress);
  progress.start(`Zipping ${name}`);
  const entries: ZipEntryInput[] = [];
  for (const path of paths) {
    throwIfAborted(options.signal);
    const file = files.get(path);
    if (!file) continue;
    const bytes = file instanceof Uint8Array ? file : new Uint8Array(await file.arrayBuffer());
    entries.push({ name: path, parts: [bytes], deflate: shouldDeflate(path) });
  }
  const chunks: Uint8Array[] = [];
  try {
    await writeZip(entries, (chunk) => void chunks.push(chunk), {
      modified: options.modified ?? new Date(),
      ...(options.signal ? { signal: options.signal } : {}),
      onBytes: (done, total) => progress.update(done, total, `Zipping ${name}`),
    });
  } catch (error) {
    if (error instanceof BundleError) throw new ModelArchiveError(`${name}: ${error.message}`);
    throw error;
  }
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  progress.finish(`${name}: ${paths.length} files, ${out.byteLength} bytes`);
  return out;
}

/**
 * The files of a model zip by HF path. The zip is untrusted: its directory is checked against
 * the limits, names that could leave the folder are refused, deflated entries are first
 * inflated into a counter, and a single top-level folder shared by every file is stripped.
 */
export async function modelFromZip(
  bytes: Uint8Array,
  options: ModelFromZipOptions = {},
): Promise<Map<string, Uint8Array>> {
  const progress = new ProgressReporter(options.onProgress);
  progress.start('Checking the model zip');
  let entries: ZipEntryRecord[];
  try {
    entries = listZipEntries(bytes, options.limits ?? DEFAULT_MODEL_ARCHIVE_LIMITS, checkZipName);
    await checkInflatedSizes(bytes, entries, options.signal);
  } catch (error) {
    if (error instanceof BundleError) {
      throw new ModelArchiveError(`The model zip was refused: ${error.message}`);
    }
    throw error;
  }
  // Folder entries ("onnx/") carry no data; the paths of the files imply them.
  const fileEntries = entries.filter((entry) => !entry.name.endsWith('/'));
  const total = fileEntries.reduce((sum, entry) => sum + entry.originalSize, 0);
  const strip = sharedTopFolder(fileEntries.map((entry) => entry.name));
  const files = new Map<string, Uint8Array>();
  let done = 0;
  for (const entry of fileEntries) {
    throwIfAborted(options.signal);
    const data = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
    const file =
      entry.method === STORED_METHOD
        ? data.slice()
        : inflateSync(data, { out: new Uint8Array(entry.originalSize) });
    files.set(strip ? entry.name.slice(strip.length + 1) : entry.name, file);
    done += entry.originalSize;
    progress.update(done, total, entry.name);
    await yieldToEventLoop();
  }
  progress.finish(`${files.size} model files read`);
  return files;
}

/** What keeps the folder from running in Lumina, one line per missing file; empty when none. */
export function checkModelLayout(paths: Iterable<string>): string[] {
  const present = new Set(paths);
  const problems: string[] = [];
  for (const required of RUNNABLE_MODEL_FILES) {
    if (present.has(required)) continue;
    if (required === 'onnx/model.onnx') {
      const elsewhere = [...present].filter((path) => path.endsWith('.onnx'));
      problems.push(
        'onnx/model.onnx is missing: Lumina runs the fp32 ONNX export at that path' +
          (elsewhere.length
            ? ` (found ${elsewhere.join(', ')})`
            : ' (the folder has no .onnx file)'),
      );
    } else {
      problems.push(`${required} is missing at the top of the model folder`);
    }
  }
  return problems;
}

/** The folder every path starts with, when there is exactly one and no file sits beside it. */
export function sharedTopFolder(paths: readonly string[]): string | null {
  let top: string | null = null;
  for (const path of paths) {
    const slash = path.indexOf('/');
    if (slash < 0) return null;
    const folder = path.slice(0, slash);
    if (top !== null && folder !== top) return null;
    top = folder;
  }
  return top;
}

/** Throws for a path that is absolute, climbs out of the folder, or is not a plain name. */
export function checkModelPath(path: string): void {
  if (!path || path.startsWith('/')) {
    throw new ModelArchiveError(`${JSON.stringify(path)} is not a relative path in a model folder`);
  }
  for (const segment of path.split('/')) {
    if (segment === '..' || segment === '.' || segment === '') {
      throw new ModelArchiveError(
        `${JSON.stringify(path)} is refused: a model file path may not contain "${segment || '//'}" (path traversal)`,
      );
    }
    if (unsafeSegment(segment)) {
      throw new ModelArchiveError(
        `${JSON.stringify(path)} is refused: it contains a backslash, colon, control or wildcard character`,
      );
    }
  }
}

function checkZipName(name: string, seen: Set<string>): void {
  const path = name.endsWith('/') ? name.slice(0, -1) : name;
  try {
    checkModelPath(path);
  } catch (error) {
    throw new BundleError((error as Error).message);
  }
  // Two entries with one name would let a reader and a verifier see different files.
  if (seen.has(name)) throw new BundleError('appears twice in the zip', name);
  seen.add(name);
}

function shouldDeflate(path: string): boolean {
  const lower = path.toLowerCase();
  return DEFLATED_EXTENSIONS.some((extension) => lower.endsWith(extension));
}
