/**
 * Full validation of an untrusted bundle: the zip-bomb and name checks of `zip-guard.ts` first,
 * then every format and record check of `readBundle`. Nothing is returned until all pass.
 */

import { throwIfAborted } from '../abort.ts';
import { sha256OfParts } from './digest.ts';
import { BundleError, type Bundle, type BundleControl } from './format.ts';
import { readBundle } from './read-bundle.ts';
import {
  checkInflatedSizes,
  DEFAULT_BUNDLE_LIMITS,
  listZipEntries,
  type BundleLimits,
} from './zip-guard.ts';

export interface ValidateBundleOptions extends BundleControl {
  limits?: Partial<BundleLimits>;
}

export interface ValidatedBundle {
  bundle: Bundle;
  /** sha256 (hex) of the bundle file: identifies it for duplicate detection. */
  hash: string;
  bytes: number;
}

export type BundleSource = Uint8Array | ArrayBuffer | Blob;

export async function validateBundle(
  input: BundleSource,
  options: ValidateBundleOptions = {},
): Promise<ValidatedBundle> {
  const limits = { ...DEFAULT_BUNDLE_LIMITS, ...options.limits };
  const bytes = await loadBytes(input, limits.maxZipBytes);
  throwIfAborted(options.signal);
  const entries = listZipEntries(bytes, limits);
  await checkInflatedSizes(bytes, entries, options.signal);
  const bundle = await readBundle(bytes, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const hash = await sha256OfParts([bytes], options.signal);
  return { bundle, hash, bytes: bytes.byteLength };
}

async function loadBytes(input: BundleSource, maxBytes: number): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  // Checked before reading so an oversized file is never loaded.
  if (input.size > maxBytes) {
    throw new BundleError(
      `The file is ${input.size} bytes, over the ${maxBytes}-byte bundle limit`,
    );
  }
  return new Uint8Array(await input.arrayBuffer());
}
