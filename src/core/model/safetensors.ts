/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length N, N bytes of JSON header, then the tensor bytes back to back. The writer follows
 * the reference implementation: tensors ordered by dtype (widest first, which keeps each one
 * naturally aligned) then by name, `__metadata__` first, and the header padded with spaces to a
 * multiple of 8 so the data section starts 8-byte aligned.
 */

import { littleEndianBytes, littleEndianToHost } from './endian.ts';

export type SafetensorsDtype = 'F32' | 'F16' | 'I64';

/** F16 stays as raw IEEE half bits (Uint16Array); {@link tensorToFloat32} widens it. */
export type SafetensorsTensor =
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'F16'; shape: number[]; data: Uint16Array }
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array };

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, I64: 8 };
/** The reference reader refuses larger headers; so do we, before trying to parse one. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Serialises tensors (and string metadata) into one safetensors file. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, SafetensorsTensor> | Record<string, SafetensorsTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list: [string, SafetensorsTensor][] = isTensorMap(tensors)
    ? [...tensors]
    : Object.entries(tensors);
  const entries = list.sort(
    ([nameA, a], [nameB, b]) =>
      BYTES_PER_ELEMENT[b.dtype] - BYTES_PER_ELEMENT[a.dtype] ||
      (nameA < nameB ? -1 : nameA > nameB ? 1 : 0),
  );
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const [name, tensor] of entries) {
    if (name === METADATA_KEY) throw new SafetensorsError(`"${METADATA_KEY}" is not a tensor name`);
    checkShape(name, tensor.shape);
    const expected = elementCount(tensor.shape);
    if (tensor.data.length !== expected) {
      throw new SafetensorsError(
        `Tensor "${name}": shape [${tensor.shape.join(', ')}] needs ${expected} elements, ` +
          `data has ${tensor.data.length}`,
      );
    }
    const bytes = tensor.data.byteLength;
    header[name] = {
      dtype: tensor.dtype,
      shape: tensor.shape,
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const [, tensor] of entries) {
    out.set(littleEndianBytes(tensor.data), cursor);
    cursor += tensor.data.byteLength;
  }
  return out;
}

/** Parses a safetensors file, checking the header against the buffer before touching data. */
export function decodeSafetensors(input: Uint8Array | ArrayBuffer): SafetensorsFile {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 8) {
    throw new SafetensorsError(
      `File is ${bytes.length} bytes, too short for the 8-byte header length`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      `Header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    );
  }
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length) {
    throw new SafetensorsError(
      `Header length ${headerLength} runs past the end of the ${bytes.length}-byte file`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (error) {
    throw new SafetensorsError(`Header is not valid UTF-8 JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(header)) throw new SafetensorsError('Header must be a JSON object');

  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = readMetadata(header[METADATA_KEY]);
  const layout = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, entry]) => readEntry(name, entry, dataLength))
    .sort((a, b) => a.begin - b.begin);

  // Like the reference reader: tensors must tile the data section exactly, with no gaps or overlaps.
  let expectedBegin = 0;
  for (const entry of layout) {
    if (entry.begin !== expectedBegin) {
      throw new SafetensorsError(
        `Tensor "${entry.name}" starts at byte ${entry.begin}, expected ${expectedBegin} ` +
          '(tensors must be contiguous and must not overlap)',
      );
    }
    expectedBegin = entry.end;
  }
  if (expectedBegin !== dataLength) {
    throw new SafetensorsError(
      `Tensors cover ${expectedBegin} bytes but the data section holds ${dataLength}`,
    );
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of layout) {
    const slice = bytes.subarray(dataStart + entry.begin, dataStart + entry.end);
    tensors.set(entry.name, typedTensor(entry.dtype, entry.shape, slice));
  }
  return { tensors, metadata };
}

/** The tensor as float32, widening F16 and converting I64 (exact up to 2^24). */
export function tensorToFloat32(tensor: SafetensorsTensor): Float32Array {
  switch (tensor.dtype) {
    case 'F32':
      return tensor.data;
    case 'F16':
      return Float32Array.from(tensor.data, halfToFloat);
    case 'I64':
      return Float32Array.from(tensor.data, (value) => Number(value));
  }
}

/** IEEE 754 binary16 bits to a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

interface LayoutEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

function readEntry(name: string, entry: unknown, dataLength: number): LayoutEntry {
  if (!isPlainObject(entry))
    throw new SafetensorsError(`Tensor "${name}": entry must be an object`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'I64') {
    throw new SafetensorsError(
      `Tensor "${name}": dtype ${JSON.stringify(dtype)} is not supported (F32, F16, I64)`,
    );
  }
  if (!Array.isArray(shape)) throw new SafetensorsError(`Tensor "${name}": shape must be an array`);
  checkShape(name, shape);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((value) => Number.isSafeInteger(value) && (value as number) >= 0)
  ) {
    throw new SafetensorsError(
      `Tensor "${name}": data_offsets must be two non-negative integers [begin, end]`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end)
    throw new SafetensorsError(`Tensor "${name}": data_offsets begin ${begin} > end ${end}`);
  if (end > dataLength) {
    throw new SafetensorsError(
      `Tensor "${name}": data_offsets end ${end} is past the ${dataLength}-byte data section`,
    );
  }
  const expected = elementCount(shape as number[]) * BYTES_PER_ELEMENT[dtype];
  if (end - begin !== expected) {
    throw new SafetensorsError(
      `Tensor "${name}": ${dtype} shape [${shape.join(', ')}] needs ${expected} bytes, ` +
        `data_offsets span ${end - begin}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function readMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw new SafetensorsError(`"${METADATA_KEY}" must be an object`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new SafetensorsError(`"${METADATA_KEY}.${key}" must be a string`);
    }
  }
  return value as Record<string, string>;
}

function checkShape(name: string, shape: readonly unknown[]): void {
  if (!shape.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0)) {
    throw new SafetensorsError(`Tensor "${name}": shape entries must be non-negative integers`);
  }
}

function typedTensor(
  dtype: SafetensorsDtype,
  shape: number[],
  slice: Uint8Array,
): SafetensorsTensor {
  // A copy is aligned and owns exactly its bytes. `new Uint8Array(view)` always copies, whereas
  // `.slice()` on a Node Buffer returns a view of the whole file's memory.
  const copy = new Uint8Array(slice);
  littleEndianToHost(copy, BYTES_PER_ELEMENT[dtype]);
  switch (dtype) {
    case 'F32':
      return { dtype, shape, data: new Float32Array(copy.buffer) };
    case 'F16':
      return { dtype, shape, data: new Uint16Array(copy.buffer) };
    case 'I64':
      return { dtype, shape, data: new BigInt64Array(copy.buffer) };
  }
}

function isTensorMap(
  tensors: ReadonlyMap<string, SafetensorsTensor> | Record<string, SafetensorsTensor>,
): tensors is ReadonlyMap<string, SafetensorsTensor> {
  return tensors instanceof Map;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
