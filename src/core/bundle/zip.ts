/**
 * The zip container, through fflate. Writing streams: each file is pushed in slices and every
 * piece fflate emits goes straight to the sink, so a bundle is never assembled in memory here.
 */

import { unzipSync, Zip, ZipDeflate, ZipPassThrough } from 'fflate';
import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { BundleError } from './format.ts';

export interface ZipEntryInput {
  name: string;
  /** The file's bytes, in order; the parts are not copied. */
  parts: readonly Uint8Array[];
  /** Deflate small text files; binary data is stored, since floats and Parquet barely shrink. */
  deflate: boolean;
}

export type ZipSink = (chunk: Uint8Array) => void | Promise<void>;

export interface ZipWriteOptions {
  /** Written as every entry's modification time. */
  modified: Date;
  signal?: AbortSignal;
  onBytes?: (done: number, total: number) => void;
}

export interface ZipEntryInfo {
  name: string;
  originalSize: number;
  compression: number;
}

/** Pieces pushed at once: small enough to abort promptly, large enough to cost nothing. */
const SLICE_BYTES = 8 * 1024 * 1024;
/** fflate writes no ZIP64 records, so offsets and sizes must fit 32 bits. */
export const MAX_ZIP_BYTES = 0xffff_ffff;
const LOCAL_HEADER = 30;
const DATA_DESCRIPTOR = 16;
const CENTRAL_HEADER = 46;
const END_RECORD = 22;

export function partsLength(parts: readonly Uint8Array[]): number {
  return parts.reduce((sum, part) => sum + part.byteLength, 0);
}

/** Upper bound of the archive size (deflated entries counted at their original size). */
export function zipSizeBound(entries: readonly ZipEntryInput[]): number {
  return entries.reduce((sum, entry) => {
    const name = new TextEncoder().encode(entry.name).length;
    // Deflate can grow incompressible data by a few bytes per 16 KiB block.
    const data = partsLength(entry.parts);
    const slack = entry.deflate ? Math.ceil(data / 16_384) * 5 + 16 : 0;
    return sum + LOCAL_HEADER + DATA_DESCRIPTOR + CENTRAL_HEADER + 2 * name + data + slack;
  }, END_RECORD);
}

export async function writeZip(
  entries: readonly ZipEntryInput[],
  sink: ZipSink,
  options: ZipWriteOptions,
): Promise<void> {
  const bound = zipSizeBound(entries);
  if (bound > MAX_ZIP_BYTES) {
    throw new BundleError(
      `The bundle would be about ${bound} bytes; bundle v1 is a zip without ZIP64 and holds ` +
        `at most ${MAX_ZIP_BYTES} bytes (4 GiB). Export fewer chunks or fewer dims.`,
    );
  }
  const total = entries.reduce((sum, entry) => sum + partsLength(entry.parts), 0);
  const pending: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else pending.push(chunk);
  });
  const drain = async (): Promise<void> => {
    if (failure) throw failure;
    for (const chunk of pending.splice(0)) await sink(chunk);
  };

  let done = 0;
  for (const entry of entries) {
    const file = entry.deflate
      ? new ZipDeflate(entry.name, { level: 6 })
      : new ZipPassThrough(entry.name);
    file.mtime = options.modified;
    zip.add(file);
    const slices = [...sliceParts(entry.parts)];
    if (slices.length === 0) file.push(new Uint8Array(0), true);
    for (const [i, slice] of slices.entries()) {
      throwIfAborted(options.signal);
      file.push(slice, i === slices.length - 1);
      await drain();
      done += slice.byteLength;
      options.onBytes?.(done, total);
      await yieldToEventLoop();
    }
    await drain();
  }
  zip.end();
  await drain();
}

/** The parts cut into slices of at most {@link SLICE_BYTES}, as views (no copies). */
export function* sliceParts(parts: readonly Uint8Array[]): Generator<Uint8Array> {
  for (const part of parts) {
    for (let offset = 0; offset < part.byteLength; offset += SLICE_BYTES) {
      yield part.subarray(offset, Math.min(part.byteLength, offset + SLICE_BYTES));
    }
  }
}

/**
 * The DOS timestamp in a zip has no time zone and fflate fills it from local time; building the
 * date from UTC fields makes the stored time the UTC time, so bundles do not depend on the zone.
 */
export function zipTimestamp(iso: string): Date {
  const time = new Date(iso);
  const year = Math.min(2099, Math.max(1980, time.getUTCFullYear()));
  return new Date(
    year,
    time.getUTCMonth(),
    time.getUTCDate(),
    time.getUTCHours(),
    time.getUTCMinutes(),
    time.getUTCSeconds(),
  );
}

/** Every entry of the archive, read from its central directory without inflating anything. */
export function listZip(bytes: Uint8Array): ZipEntryInfo[] {
  const entries: ZipEntryInfo[] = [];
  guardZip(() =>
    unzipSync(bytes, {
      filter: ({ name, originalSize, compression }) => {
        entries.push({ name, originalSize, compression });
        return false;
      },
    }),
  );
  return entries;
}

/** Inflates only the named entries. */
export function extractZip(
  bytes: Uint8Array,
  names: ReadonlySet<string>,
): Record<string, Uint8Array> {
  return guardZip(() => unzipSync(bytes, { filter: ({ name }) => names.has(name) }));
}

function guardZip<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new BundleError(`Not a readable zip archive: ${(error as Error).message}`);
  }
}
