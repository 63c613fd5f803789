import { prefixRange } from './keys.ts';
import type { AnalysisRecord } from './records.ts';
import type { LuminaDatabase } from './schema.ts';
import { writeTransaction } from './transaction.ts';

export function putAnalysis(db: LuminaDatabase, record: AnalysisRecord): Promise<void> {
  return writeTransaction(
    db,
    ['analyses'],
    () => `saving ${record.id} of ${record.setId}`,
    async (tx) => {
      await tx.objectStore('analyses').put(record);
    },
  );
}

export function getAnalysis(
  db: LuminaDatabase,
  datasetId: string,
  setId: string,
  id: string,
): Promise<AnalysisRecord | undefined> {
  return db.get('analyses', [datasetId, setId, id]);
}

/** The analyses of one set (or of every set of the dataset), values included. */
export function listAnalyses(
  db: LuminaDatabase,
  datasetId: string,
  setId?: string,
): Promise<AnalysisRecord[]> {
  return db.getAll(
    'analyses',
    setId === undefined ? prefixRange(datasetId) : prefixRange(datasetId, setId),
  );
}

export function deleteAnalyses(
  db: LuminaDatabase,
  datasetId: string,
  setId?: string,
): Promise<void> {
  return writeTransaction(
    db,
    ['analyses'],
    () => `deleting analyses of ${setId ?? datasetId}`,
    async (tx) => {
      await tx
        .objectStore('analyses')
        .delete(setId === undefined ? prefixRange(datasetId) : prefixRange(datasetId, setId));
    },
  );
}
