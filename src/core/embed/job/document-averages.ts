import { throwIfAborted } from '../../abort.ts';
import { EMBEDDING_BLOCK_ROWS, type LuminaStore } from '../../store/index.ts';
import { BlockWriter } from './block-writer.ts';
import { docIdOfChunk } from '../../store/index.ts';

/** Re-exported where the job's callers have always found it. */
export { docIdOfChunk };

/** Documents averaged per pass over the chunk vectors; bounds the sums held (× dims doubles). */
export const DOCUMENT_WINDOW = 8 * EMBEDDING_BLOCK_ROWS;

export interface DocumentAveragesResult {
  documents: number;
  missingDocuments: string[];
}

/** The document a chunk id (`${docId}#${index}`) belongs to; doc ids may contain `#` themselves. */

/**
 * Writes the mean of each document's chunk vectors (L2-normalised when asked) to `docSetId`,
 * documents in id order, one row each. Documents without any chunk vector get no row and are
 * returned in `missingDocuments`.
 *
 * Memory: the document ids of one window and their sums (`DOCUMENT_WINDOW × dims` doubles);
 * each window is one pass over the chunk vectors, a few blocks at a time, so a big corpus costs
 * passes, not memory.
 */
export async function writeDocumentAverages(
  store: LuminaStore,
  datasetId: string,
  chunkSetId: string,
  docSetId: string,
  dims: number,
  normalize: boolean,
  signal?: AbortSignal,
  onDocuments?: (done: number) => void,
): Promise<DocumentAveragesResult> {
  await store.deleteEmbeddingSet(datasetId, docSetId);
  const writer = await BlockWriter.open(store, datasetId, docSetId, dims, 0);
  const missingDocuments: string[] = [];
  let done = 0;
  let window: string[] = [];

  const flush = async (): Promise<void> => {
    if (window.length === 0) return;
    const slots = new Map(window.map((id, slot) => [id, slot]));
    const sums = new Float64Array(window.length * dims);
    const counts = new Uint32Array(window.length);
    for await (const blocks of store.iterateEmbeddingBlocks(datasetId, chunkSetId, 4, signal)) {
      for (const block of blocks) {
        block.chunkIds.forEach((chunkId, row) => {
          const slot = slots.get(docIdOfChunk(chunkId));
          if (slot === undefined) return;
          counts[slot] = (counts[slot] ?? 0) + 1;
          for (let d = 0; d < dims; d += 1) {
            sums[slot * dims + d] =
              (sums[slot * dims + d] ?? 0) + (block.vectors[row * dims + d] ?? 0);
          }
        });
      }
    }
    const ids: string[] = [];
    const vectors = new Float32Array(window.length * dims);
    window.forEach((id, slot) => {
      const count = counts[slot] ?? 0;
      if (count === 0) {
        missingDocuments.push(id);
        return;
      }
      vectors.set(
        meanRow(sums.subarray(slot * dims, (slot + 1) * dims), count, normalize),
        ids.length * dims,
      );
      ids.push(id);
    });
    const touched = writer.append(ids, vectors.subarray(0, ids.length * dims));
    // Each window's rows land before the next pass starts; a crash here just redoes this phase.
    if (touched.length > 0) await store.putEmbeddingBlocks(touched);
    done += window.length;
    onDocuments?.(done);
    window = [];
  };

  for await (const page of store.iterateDocuments(datasetId, 256, signal)) {
    for (const doc of page) {
      window.push(doc.id);
      if (window.length === DOCUMENT_WINDOW) await flush();
    }
  }
  await flush();
  throwIfAborted(signal);
  return { documents: writer.rows, missingDocuments };
}

/** Mean of `count` summed vectors, L2-normalised when asked. */
export function meanRow(sum: Float64Array, count: number, normalize: boolean): Float64Array {
  const mean = sum.map((value) => value / count);
  if (!normalize) return mean;
  let norm = 0;
  for (const value of mean) norm += value * value;
  norm = Math.sqrt(norm);
  // A zero mean (opposite vectors cancelling) stays zero rather than becoming NaN.
  return norm > 0 ? mean.map((value) => value / norm) : mean;
}
