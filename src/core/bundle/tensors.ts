/**
 * embeddings.safetensors: `doc_embeddings` and `embeddings`, both F32 [rows, dims]. The writer
 * returns the file as parts (header, then each tensor's bytes as a view of the caller's array) so
 * a large corpus is never copied into one buffer; the bytes equal `encodeSafetensors` output.
 */

import { littleEndianBytes } from '../model/endian.ts';
import {
  decodeSafetensors,
  SafetensorsError,
  type SafetensorsTensor,
} from '../model/safetensors.ts';
import { CHUNK_EMBEDDINGS_TENSOR, DOC_EMBEDDINGS_TENSOR, EMBEDDINGS_FILE } from './format.ts';
import { fail } from './fields.ts';

export interface EmbeddingTensors {
  embeddings: Float32Array;
  docEmbeddings: Float32Array;
}

/** The safetensors file as parts whose concatenation is the file. */
export function embeddingsFileParts(tensors: EmbeddingTensors, dims: number): Uint8Array[] {
  // Same order as the reference writer: equal dtypes sort by name, so doc_embeddings comes first.
  const entries: [string, Float32Array][] = [
    [DOC_EMBEDDINGS_TENSOR, tensors.docEmbeddings],
    [CHUNK_EMBEDDINGS_TENSOR, tensors.embeddings],
  ];
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, data] of entries) {
    header[name] = {
      dtype: 'F32',
      shape: [data.length / dims, dims],
      data_offsets: [offset, offset + data.byteLength],
    };
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Padded with spaces to a multiple of 8 so the data starts aligned, as the reference does.
  const headerLength = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + headerLength).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerLength), true);
  head.set(json, 8);
  return [head, ...entries.map(([, data]) => littleEndianBytes(data))];
}

/** Decodes the file and checks tensor names, dtypes and shapes (finiteness is a record check). */
export function readEmbeddingsFile(
  bytes: Uint8Array,
  expected: { chunks: number; documents: number; dims: number },
): EmbeddingTensors {
  let tensors: Map<string, SafetensorsTensor>;
  try {
    tensors = decodeSafetensors(bytes).tensors;
  } catch (error) {
    if (error instanceof SafetensorsError)
      fail({ file: EMBEDDINGS_FILE, field: '' }, error.message);
    throw error;
  }
  const names = [...tensors.keys()].sort();
  const wanted = [CHUNK_EMBEDDINGS_TENSOR, DOC_EMBEDDINGS_TENSOR].sort();
  if (names.join('\n') !== wanted.join('\n')) {
    fail(
      { file: EMBEDDINGS_FILE, field: 'tensors' },
      `must be exactly ${wanted.map((n) => `"${n}"`).join(' and ')} (found ${names.map((n) => `"${n}"`).join(', ') || 'none'})`,
    );
  }
  const read = (name: string, rows: number, rowsFrom: string): Float32Array => {
    const tensor = tensors.get(name);
    const place = { file: EMBEDDINGS_FILE, field: `tensor "${name}"` };
    if (tensor === undefined) return fail(place, 'is missing');
    if (tensor.dtype !== 'F32') fail(place, `must be F32 (found ${tensor.dtype})`);
    const shape = tensor.shape.join(', ');
    if (tensor.shape.length !== 2 || tensor.shape[1] !== expected.dims) {
      fail(
        place,
        `has shape [${shape}], expected [${rows}, ${expected.dims}] (dims from manifest.json model.dims)`,
      );
    }
    if (tensor.shape[0] !== rows) {
      fail(
        place,
        `has shape [${shape}], expected [${rows}, ${expected.dims}] (rows from ${rowsFrom})`,
      );
    }
    return tensor.data;
  };
  const embeddings = read(CHUNK_EMBEDDINGS_TENSOR, expected.chunks, 'manifest.json counts.chunks');
  const docEmbeddings = read(
    DOC_EMBEDDINGS_TENSOR,
    expected.documents,
    'manifest.json counts.documents',
  );
  return { embeddings, docEmbeddings };
}

/** Throws at the first NaN or infinity, naming its row and column. */
export function checkFinite(
  values: Float32Array,
  dims: number,
  place: { file: string | undefined; field: string },
): void {
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? 0;
    if (!Number.isFinite(value)) {
      fail(
        place,
        `row ${Math.floor(i / dims)} column ${i % dims} is ${value} (vectors must be finite)`,
      );
    }
  }
}
