/**
 * Model files (safetensors, ONNX raw_data) are little-endian, while typed arrays use the host's
 * byte order. Every host Lumina targets is little-endian; the swap keeps a big-endian one correct.
 */
export const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type NumericArray = Float32Array | Uint16Array | BigInt64Array | Int32Array;

/** The array's bytes in little-endian order: a view when the host is little-endian, else a copy. */
export function littleEndianBytes(array: NumericArray): Uint8Array {
  const raw = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  return hostIsLittleEndian ? raw : swapBytes(raw, array.BYTES_PER_ELEMENT);
}

/** Reorders little-endian bytes in place into host order (a no-op on little-endian hosts). */
export function littleEndianToHost(bytes: Uint8Array, width: number): void {
  if (!hostIsLittleEndian) bytes.set(swapBytes(bytes, width));
}

function swapBytes(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) {
    for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j] ?? 0;
  }
  return out;
}
