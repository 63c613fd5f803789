import { requireDataset } from './datasets.ts';
import { deleteFileDocumentsIn } from './documents.ts';
import { prefixRange } from './keys.ts';
import type { FileRecord } from './records.ts';
import type { LuminaDatabase } from './schema.ts';
import { writeTransaction } from './transaction.ts';

/** The file with this content hash if the dataset already has it: re-adding it is a no-op. */
export function findFile(
  db: LuminaDatabase,
  datasetId: string,
  hash: string,
): Promise<FileRecord | undefined> {
  return db.get('files', [datasetId, hash]);
}

export function putFile(db: LuminaDatabase, record: FileRecord): Promise<void> {
  return writeTransaction(
    db,
    ['datasets', 'files'],
    () => `saving file '${record.name}' to dataset ${record.datasetId}`,
    async (tx) => {
      await requireDataset(tx.objectStore('datasets'), record.datasetId);
      await tx.objectStore('files').put(record);
    },
  );
}

/** The dataset's files in hash order. */
export function listFiles(db: LuminaDatabase, datasetId: string): Promise<FileRecord[]> {
  return db.getAll('files', prefixRange(datasetId));
}

/** Removes a file and everything it added, in one transaction. Returns the documents removed. */
export function deleteFile(db: LuminaDatabase, datasetId: string, hash: string): Promise<number> {
  return writeTransaction(
    db,
    ['datasets', 'documents', 'chunks', 'files'],
    () => `removing file ${hash} from dataset ${datasetId}`,
    async (tx) => {
      const removed = await deleteFileDocumentsIn(tx, datasetId, hash);
      await tx.objectStore('files').delete([datasetId, hash]);
      return removed;
    },
  );
}
