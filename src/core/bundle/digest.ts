import { sha256 } from '@noble/hashes/sha2.js';
import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { sliceParts } from './zip.ts';

/**
 * Hex sha256 of a file given as parts. Incremental (WebCrypto digests only whole buffers, and
 * the parts are deliberately never joined), in slices that let an abort through.
 */
export async function sha256OfParts(
  parts: readonly Uint8Array[],
  signal?: AbortSignal,
  onBytes?: (bytes: number) => void,
): Promise<string> {
  const hasher = sha256.create();
  for (const slice of sliceParts(parts)) {
    throwIfAborted(signal);
    hasher.update(slice);
    onBytes?.(slice.byteLength);
    await yieldToEventLoop();
  }
  return Array.from(hasher.digest(), (b) => b.toString(16).padStart(2, '0')).join('');
}
