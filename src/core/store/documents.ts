import type { SourceDocument } from '../types.ts';
import { putDatasetCounters, requireDataset } from './datasets.ts';
import { prefixRange } from './keys.ts';
import { pageByPrefix } from './paging.ts';
import type { DocumentRecord } from './records.ts';
import type { LuminaDatabase } from './schema.ts';
import { requestEach, writeTransaction, type WriteTransaction } from './transaction.ts';

function toRecord(datasetId: string, fileHash: string, doc: SourceDocument): DocumentRecord {
  return {
    datasetId,
    id: doc.id,
    source: doc.source,
    text: doc.text,
    metadata: doc.metadata,
    charCount: doc.text.length,
    fileHash,
  };
}

/**
 * Stores documents and moves the dataset's counters in the same transaction, so the counts
 * always match what is stored. Documents whose id the dataset already has (or that repeat an id
 * earlier in `docs`) are skipped: ids are the user's and stay unique. Returns how many were
 * written.
 */
export async function addDocuments(
  db: LuminaDatabase,
  datasetId: string,
  fileHash: string,
  docs: readonly SourceDocument[],
): Promise<number> {
  let datasetName = datasetId;
  return writeTransaction(
    db,
    ['datasets', 'documents'],
    () => `saving ${docs.length} documents to dataset '${datasetName}'`,
    async (tx) => {
      const datasets = tx.objectStore('datasets');
      const documents = tx.objectStore('documents');
      const dataset = await requireDataset(datasets, datasetId);
      datasetName = dataset.name;
      const existing = await requestEach(docs, (doc) => documents.getKey([datasetId, doc.id]));
      const fresh = new Map<string, DocumentRecord>();
      docs.forEach((doc, i) => {
        if (existing[i] === undefined && !fresh.has(doc.id)) {
          fresh.set(doc.id, toRecord(datasetId, fileHash, doc));
        }
      });
      let bytes = 0;
      await requestEach(fresh.values(), (record) => {
        bytes += record.charCount;
        return documents.put(record);
      });
      await putDatasetCounters(datasets, dataset, { documents: fresh.size, bytes });
      return fresh.size;
    },
  );
}

/** The ids among `ids` that the dataset already has. */
export async function existingDocumentIds(
  db: LuminaDatabase,
  datasetId: string,
  ids: readonly string[],
): Promise<Set<string>> {
  const store = db.transaction('documents').store;
  const keys = await requestEach(ids, (id) => store.getKey([datasetId, id]));
  return new Set(ids.filter((_, i) => keys[i] !== undefined));
}

/**
 * Deletes the documents that came from one file, with their chunks, inside `tx`, and moves the
 * counters. Returns how many documents were deleted.
 */
export async function deleteFileDocumentsIn(
  tx: WriteTransaction<('datasets' | 'documents' | 'chunks' | 'files')[]>,
  datasetId: string,
  fileHash: string,
): Promise<number> {
  const datasets = tx.objectStore('datasets');
  const dataset = await requireDataset(datasets, datasetId);
  const chunks = tx.objectStore('chunks');
  const docIds: string[] = [];
  let bytes = 0;
  let cursor = await tx
    .objectStore('documents')
    .index('datasetFile')
    .openCursor([datasetId, fileHash]);
  while (cursor) {
    docIds.push(cursor.value.id);
    bytes += cursor.value.charCount;
    await cursor.delete();
    cursor = await cursor.continue();
  }
  const chunkKeys = (
    await requestEach(docIds, (docId) => chunks.index('datasetDoc').getAllKeys([datasetId, docId]))
  ).flat();
  await requestEach(chunkKeys, (key) => chunks.delete(key));
  await putDatasetCounters(datasets, dataset, {
    documents: -docIds.length,
    chunks: -chunkKeys.length,
    bytes: -bytes,
  });
  return docIds.length;
}

/** Removes what one file added (its documents and their chunks), e.g. to roll back a failed ingest. */
export function deleteFileDocuments(
  db: LuminaDatabase,
  datasetId: string,
  fileHash: string,
): Promise<number> {
  return writeTransaction(
    db,
    ['datasets', 'documents', 'chunks', 'files'],
    () => `removing the documents of file ${fileHash} from dataset ${datasetId}`,
    (tx) => deleteFileDocumentsIn(tx, datasetId, fileHash),
  );
}

export function countDocuments(db: LuminaDatabase, datasetId: string): Promise<number> {
  return db.count('documents', prefixRange(datasetId));
}

export function getDocument(
  db: LuminaDatabase,
  datasetId: string,
  id: string,
): Promise<DocumentRecord | undefined> {
  return db.get('documents', [datasetId, id]);
}

export interface PageOptions {
  offset?: number;
  limit?: number;
}

/** One page of a dataset's documents in id order, for tables that show a page at a time. */
export async function listDocuments(
  db: LuminaDatabase,
  datasetId: string,
  { offset = 0, limit = 100 }: PageOptions = {},
): Promise<DocumentRecord[]> {
  const page: DocumentRecord[] = [];
  if (limit <= 0) return page;
  let cursor = await db.transaction('documents').store.openCursor(prefixRange(datasetId));
  if (cursor && offset > 0) cursor = await cursor.advance(offset);
  while (cursor) {
    page.push(cursor.value);
    if (page.length >= limit) break;
    cursor = await cursor.continue();
  }
  return page;
}

/** Every document of the dataset in id order, `batchSize` at a time, each batch read on its own. */
export function iterateDocuments(
  db: LuminaDatabase,
  datasetId: string,
  batchSize = 500,
  signal?: AbortSignal,
): AsyncGenerator<DocumentRecord[]> {
  return pageByPrefix(
    db,
    'documents',
    [datasetId],
    (doc) => [doc.datasetId, doc.id],
    batchSize,
    signal,
  );
}
