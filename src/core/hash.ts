import { sha256 } from '@noble/hashes/sha2.js';

/** Hex sha256 of bytes or text, with WebCrypto (available in browsers, workers and Node ≥ 19). */
export async function sha256Hex(data: ArrayBuffer | Uint8Array | string): Promise<string> {
  const bytes =
    typeof data === 'string'
      ? new TextEncoder().encode(data)
      : data instanceof Uint8Array
        ? data
        : new Uint8Array(data);
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Hex sha256 of a Blob, read as a stream so large files never sit in memory whole. */
export async function sha256OfBlob(blob: Blob, signal?: AbortSignal): Promise<string> {
  const hasher = sha256.create();
  const reader = blob.stream().getReader();
  for (;;) {
    signal?.throwIfAborted();
    const { done, value } = await reader.read();
    if (done) break;
    hasher.update(value);
  }
  return Array.from(hasher.digest(), (b) => b.toString(16).padStart(2, '0')).join('');
}
