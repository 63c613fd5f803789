/**
 * Bundle contents in other tools' formats: the TensorFlow Embedding Projector (vectors.tsv plus
 * metadata.tsv with a header row) and JSON Lines (one chunk per line). Lines are generated one
 * at a time so a caller can stream them to a file.
 */

import type { Bundle } from './format.ts';
import { bundleChunkId } from './format.ts';

/** Nine significant digits print every float32 exactly enough to read it back bit for bit. */
export function formatFloat32(value: number): string {
  return String(Number(value.toPrecision(9)));
}

/** Tabs and line breaks would split a TSV cell; backslash is escaped first so it stays readable. */
export function escapeTsvCell(text: string): string {
  return text
    .replaceAll('\\', '\\\\')
    .replaceAll('\t', '\\t')
    .replaceAll('\r', '\\r')
    .replaceAll('\n', '\\n');
}

export const PROJECTOR_METADATA_COLUMNS = ['id', 'doc_id', 'source', 'text'] as const;

/** vectors.tsv: one line per chunk, its values separated by tabs, no header (as the Projector wants). */
export function* projectorVectorLines(bundle: Bundle): Generator<string> {
  const { dims } = bundle.manifest.model;
  for (let row = 0; row < bundle.chunks.length; row += 1) {
    const values = bundle.embeddings.subarray(row * dims, (row + 1) * dims);
    yield `${Array.from(values, formatFloat32).join('\t')}\n`;
  }
}

/** metadata.tsv: a header row, then one line per chunk in the order of vectors.tsv. */
export function* projectorMetadataLines(bundle: Bundle): Generator<string> {
  yield `${PROJECTOR_METADATA_COLUMNS.join('\t')}\n`;
  for (const chunk of bundle.chunks) {
    const cells = [
      bundleChunkId(chunk.docId, chunk.chunkIndex),
      chunk.docId,
      chunk.source,
      chunk.text,
    ];
    yield `${cells.map(escapeTsvCell).join('\t')}\n`;
  }
}

export interface JsonlChunk {
  id: string;
  doc_id: string;
  source: string;
  text: string;
  embedding: number[];
}

/** One JSON object per chunk and line: id, doc_id, source, text, embedding. */
export function* jsonlLines(bundle: Bundle): Generator<string> {
  const { dims } = bundle.manifest.model;
  for (const [row, chunk] of bundle.chunks.entries()) {
    const values = bundle.embeddings.subarray(row * dims, (row + 1) * dims);
    const line: JsonlChunk = {
      id: bundleChunkId(chunk.docId, chunk.chunkIndex),
      doc_id: chunk.docId,
      source: chunk.source,
      text: chunk.text,
      embedding: Array.from(values, (value) => Number(formatFloat32(value))),
    };
    yield `${JSON.stringify(line)}\n`;
  }
}
