import type { TextChunk } from '../types.ts';
import { putDatasetCounters, requireDataset } from './datasets.ts';
import { prefixRange, prefixRangeAfter } from './keys.ts';
import { pageByPrefix } from './paging.ts';
import type { ChunkRecord } from './records.ts';
import type { LuminaDatabase } from './schema.ts';
import { requestAll, requestEach, writeTransaction } from './transaction.ts';

export interface DocumentChunks {
  docId: string;
  chunks: readonly TextChunk[];
}

/** The document id of a chunk id (`${docId}#${index}`): everything before the last `#`. */
export function docIdOfChunk(chunkId: string): string {
  const at = chunkId.lastIndexOf('#');
  return at < 0 ? chunkId : chunkId.slice(0, at);
}

export function chunkId(docId: string, index: number): string {
  return `${docId}#${index}`;
}

function toRecord(datasetId: string, docId: string, chunk: TextChunk): ChunkRecord {
  return {
    datasetId,
    id: chunkId(docId, chunk.index),
    docId,
    index: chunk.index,
    text: chunk.text,
    charStart: chunk.charStart,
    charEnd: chunk.charEnd,
    tokenCount: chunk.tokenCount,
  };
}

/** Each document once per batch and each chunk index once per document, or counts would drift. */
function checkUnique(entries: readonly DocumentChunks[]): void {
  const docIds = new Set<string>();
  for (const { docId, chunks } of entries) {
    if (docIds.has(docId)) throw new Error(`Document ${docId} appears twice in one chunk batch.`);
    docIds.add(docId);
    const indexes = new Set(chunks.map((chunk) => chunk.index));
    if (indexes.size !== chunks.length) {
      throw new Error(`Document ${docId} has two chunks with the same index.`);
    }
  }
}

/**
 * Replaces the chunks of each listed document in one transaction and moves the dataset's
 * `chunkCount` with them. Returns how many chunks were written.
 */
export async function putChunkBatch(
  db: LuminaDatabase,
  datasetId: string,
  entries: readonly DocumentChunks[],
): Promise<number> {
  checkUnique(entries);
  const total = entries.reduce((sum, entry) => sum + entry.chunks.length, 0);
  let datasetName = datasetId;
  return writeTransaction(
    db,
    ['datasets', 'chunks'],
    () => `saving ${total} chunks to dataset '${datasetName}'`,
    async (tx) => {
      const datasets = tx.objectStore('datasets');
      const chunks = tx.objectStore('chunks');
      const dataset = await requireDataset(datasets, datasetId);
      datasetName = dataset.name;
      const oldKeys = (
        await requestEach(entries, (entry) =>
          chunks.index('datasetDoc').getAllKeys([datasetId, entry.docId]),
        )
      ).flat();
      // Requests run in order, so these deletes land before the puts that may reuse their keys.
      const records = entries.flatMap((entry) =>
        entry.chunks.map((chunk) => toRecord(datasetId, entry.docId, chunk)),
      );
      await requestAll([
        ...oldKeys.map((key) => () => chunks.delete(key)),
        ...records.map((record) => () => chunks.put(record)),
      ]);
      await putDatasetCounters(datasets, dataset, { chunks: total - oldKeys.length });
      return total;
    },
  );
}

export function replaceChunks(
  db: LuminaDatabase,
  datasetId: string,
  docId: string,
  chunks: readonly TextChunk[],
): Promise<number> {
  return putChunkBatch(db, datasetId, [{ docId, chunks }]);
}

/** A document's chunks in order. */
export async function listChunks(
  db: LuminaDatabase,
  datasetId: string,
  docId: string,
): Promise<ChunkRecord[]> {
  const chunks = await db.getAllFromIndex('chunks', 'datasetDoc', [datasetId, docId]);
  return chunks.sort((a, b) => a.index - b.index);
}

/** Drops every chunk of the dataset (before re-chunking with new settings). */
export function deleteAllChunks(db: LuminaDatabase, datasetId: string): Promise<void> {
  return writeTransaction(
    db,
    ['datasets', 'chunks'],
    () => `deleting the chunks of dataset ${datasetId}`,
    async (tx) => {
      const datasets = tx.objectStore('datasets');
      const dataset = await requireDataset(datasets, datasetId);
      await tx.objectStore('chunks').delete(prefixRange(datasetId));
      await putDatasetCounters(datasets, dataset, { chunks: -dataset.chunkCount });
    },
  );
}

/** Every chunk of the dataset in id order, `batchSize` at a time, each batch read on its own. */
export function iterateChunks(
  db: LuminaDatabase,
  datasetId: string,
  batchSize = 500,
  signal?: AbortSignal,
): AsyncGenerator<ChunkRecord[]> {
  return pageByPrefix(
    db,
    'chunks',
    [datasetId],
    (chunk) => [chunk.datasetId, chunk.id],
    batchSize,
    signal,
  );
}

/**
 * Up to `limit` chunks in id order that come after chunk `afterId` (from the first chunk when
 * undefined): one page of a listing that can be resumed from a saved position.
 */
export async function listChunksAfter(
  db: LuminaDatabase,
  datasetId: string,
  afterId: string | undefined,
  limit: number,
): Promise<ChunkRecord[]> {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`limit must be a positive integer, got ${limit}.`);
  }
  const range =
    afterId === undefined
      ? prefixRange(datasetId)
      : prefixRangeAfter([datasetId], [datasetId, afterId]);
  return db.getAll('chunks', range, limit);
}
