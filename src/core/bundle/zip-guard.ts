/**
 * Safety checks on an untrusted zip before anything is inflated for real: sizes, names and
 * counts come from the central directory, and every deflated entry is then inflated into a
 * counter (output discarded) that stops the moment it passes its declared size.
 *
 * Hand-written because fflate's `unzipSync` exposes no entry offsets or flags and inflates into
 * a buffer of the declared size, so a lying entry still burns CPU to its real size; its streaming
 * `Unzip` trusts local headers. The central directory of a ZIP without ZIP64 is a fixed layout.
 */

import { Inflate } from 'fflate';
import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { BundleError } from './format.ts';
import { MAX_ZIP_BYTES } from './zip.ts';

export interface BundleLimits {
  /** Size of the zip file itself. */
  maxZipBytes: number;
  /** Uncompressed size of all entries together. */
  maxTotalBytes: number;
  /** Uncompressed size of any one entry. */
  maxFileBytes: number;
  maxEntries: number;
  /** Uncompressed ÷ compressed size of a deflated entry. */
  maxRatio: number;
}

/** v1 bundles are zips without ZIP64 (< 4 GiB) holding 4 files plus any listed extras. */
export const DEFAULT_BUNDLE_LIMITS: BundleLimits = {
  maxZipBytes: MAX_ZIP_BYTES,
  maxTotalBytes: MAX_ZIP_BYTES,
  maxFileBytes: MAX_ZIP_BYTES,
  maxEntries: 64,
  // The manifest is the only deflated file Lumina writes; JSON deflates about 5-20×.
  maxRatio: 200,
};

export interface ZipEntryRecord {
  name: string;
  method: number;
  compressedSize: number;
  originalSize: number;
  /** Offset of the entry's data (after its local header) in the zip. */
  dataOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
const STORED = 0;
const DEFLATE = 8;
const ENCRYPTED_FLAG = 1;
const INFLATE_SLICE = 1 << 20;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Throws a `BundleError` for a name the archive may not hold; records it in `seen`. */
export type ZipNameCheck = (name: string, seen: Set<string>) => void;

/**
 * Reads and checks the central directory; throws a `BundleError` naming the entry at fault.
 * Names are checked by `checkEntryName`, by default as flat bundle file names.
 */
export function listZipEntries(
  bytes: Uint8Array,
  limits: BundleLimits = DEFAULT_BUNDLE_LIMITS,
  checkEntryName: ZipNameCheck = checkName,
): ZipEntryRecord[] {
  if (bytes.byteLength > limits.maxZipBytes) {
    throw new BundleError(
      `The file is ${bytes.byteLength} bytes, over the ${limits.maxZipBytes}-byte bundle limit`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndRecord(view);
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (view.getUint16(eocd + 4, true) !== 0 || view.getUint16(eocd + 8, true) !== count) {
    throw notZip('it is split over several disks');
  }
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
    throw notZip('it uses ZIP64, which bundle v1 never does');
  }
  if (cdOffset + cdSize > eocd) throw notZip('its central directory lies outside the file');
  if (count > limits.maxEntries) {
    throw new BundleError(
      `The zip has ${count} entries; a bundle has at most ${limits.maxEntries}`,
    );
  }

  const entries: ZipEntryRecord[] = [];
  const seen = new Set<string>();
  let total = 0;
  let at = cdOffset;
  for (let i = 0; i < count; i += 1) {
    if (at + CENTRAL_SIZE > cdOffset + cdSize || view.getUint32(at, true) !== CENTRAL_SIGNATURE) {
      throw notZip(`central directory entry ${i} is damaged or truncated`);
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const compressedSize = view.getUint32(at + 20, true);
    const originalSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const skip = view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    if (at + CENTRAL_SIZE + nameLength > cdOffset + cdSize) {
      throw notZip(`central directory entry ${i} is truncated`);
    }
    const name = decodeName(bytes.subarray(at + CENTRAL_SIZE, at + CENTRAL_SIZE + nameLength), i);
    at += CENTRAL_SIZE + nameLength + skip;

    checkEntryName(name, seen);
    if (flags & ENCRYPTED_FLAG) throw new BundleError('is encrypted', name);
    if (method !== STORED && method !== DEFLATE) {
      throw new BundleError(`uses zip compression method ${method} (only stored or deflate)`, name);
    }
    if (method === STORED && compressedSize !== originalSize) {
      throw new BundleError(
        `is stored with ${compressedSize} bytes but claims ${originalSize} bytes`,
        name,
      );
    }
    if (originalSize > limits.maxFileBytes) {
      throw new BundleError(
        `is ${originalSize} bytes uncompressed, over the ${limits.maxFileBytes}-byte limit per file`,
        name,
      );
    }
    const ratio = originalSize / Math.max(1, compressedSize);
    if (method === DEFLATE && ratio > limits.maxRatio) {
      throw new BundleError(
        `inflates ${Math.round(ratio)}× (${compressedSize} → ${originalSize} bytes), over the ` +
          `${limits.maxRatio}× limit: refused as a possible zip bomb`,
        name,
      );
    }
    total += originalSize;
    if (total > limits.maxTotalBytes) {
      throw new BundleError(
        `The zip's entries add up to more than ${limits.maxTotalBytes} bytes uncompressed`,
      );
    }
    const dataOffset = localDataOffset(view, localOffset, nameLength, name);
    if (dataOffset + compressedSize > cdOffset) {
      throw new BundleError('runs past the end of the zip data: the file is truncated', name);
    }
    entries.push({ name, method, compressedSize, originalSize, dataOffset });
  }
  return entries;
}

/**
 * Inflates every deflated entry into a byte counter and refuses one that produces more (or
 * fewer) bytes than its central-directory size, so the later real extraction is bounded.
 */
export async function checkInflatedSizes(
  bytes: Uint8Array,
  entries: readonly ZipEntryRecord[],
  signal?: AbortSignal,
): Promise<void> {
  for (const entry of entries) {
    if (entry.method !== DEFLATE) continue;
    let produced = 0;
    const inflater = new Inflate((chunk) => {
      produced += chunk.byteLength;
      if (produced > entry.originalSize) {
        throw new BundleError(
          `inflates past its declared ${entry.originalSize} bytes: refused as a possible zip bomb`,
          entry.name,
        );
      }
    });
    const end = entry.dataOffset + entry.compressedSize;
    try {
      for (let at = entry.dataOffset; at < end; at += INFLATE_SLICE) {
        throwIfAborted(signal);
        const next = Math.min(end, at + INFLATE_SLICE);
        inflater.push(bytes.subarray(at, next), next === end);
        if (next < end) await yieldToEventLoop();
      }
      if (entry.compressedSize === 0) inflater.push(new Uint8Array(0), true);
    } catch (error) {
      if (error instanceof BundleError || (error as Error).name === 'AbortError') throw error;
      throw new BundleError(`is not valid deflate data: ${(error as Error).message}`, entry.name);
    }
    if (produced !== entry.originalSize) {
      throw new BundleError(
        `inflates to ${produced} bytes, the zip says ${entry.originalSize}`,
        entry.name,
      );
    }
  }
}

function findEndRecord(view: DataView): number {
  const lowest = Math.max(0, view.byteLength - EOCD_SIZE - MAX_COMMENT);
  for (let at = view.byteLength - EOCD_SIZE; at >= lowest; at -= 1) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE) return at;
  }
  throw notZip('no end-of-central-directory record (the file is truncated or not a zip)');
}

function localDataOffset(view: DataView, offset: number, nameLength: number, name: string): number {
  if (offset + LOCAL_SIZE > view.byteLength || view.getUint32(offset, true) !== LOCAL_SIGNATURE) {
    throw new BundleError('has no valid local header: the zip is damaged or truncated', name);
  }
  // A local name that differs from the central one would let two tools see different files.
  if (view.getUint16(offset + 26, true) !== nameLength) {
    throw new BundleError('has a local header that disagrees with the central directory', name);
  }
  return offset + LOCAL_SIZE + nameLength + view.getUint16(offset + 28, true);
}

function decodeName(raw: Uint8Array, index: number): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw notZip(`entry ${index} has a name that is not UTF-8`);
  }
}

function checkName(name: string, seen: Set<string>): void {
  if (name.includes('..') || name.includes('/') || name.includes('\\') || name.includes(':')) {
    throw new BundleError(
      'is a path, not a flat file name: refused (path traversal); bundle files sit at the top level',
      name,
    );
  }
  if (!SAFE_NAME.test(name)) {
    throw new BundleError('is not an allowed file name (letters, digits, ".", "_", "-")', name);
  }
  // Two entries with one name would let a reader and a verifier see different files.
  if (seen.has(name)) throw new BundleError('appears twice in the zip', name);
  seen.add(name);
}

function notZip(why: string): BundleError {
  return new BundleError(`Not a readable bundle zip: ${why}`);
}
