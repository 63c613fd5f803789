import { StoreNotFoundError } from './errors.ts';
import { prefixRange } from './keys.ts';
import type { MetricRecord, MetricRow, RunRecord } from './records.ts';
import type { LuminaDatabase } from './schema.ts';
import { requestAll, requestEach, writeTransaction } from './transaction.ts';

export function putRun(db: LuminaDatabase, run: RunRecord): Promise<void> {
  return writeTransaction(
    db,
    ['runs'],
    () => `saving run ${run.id}`,
    async (tx) => {
      await tx.objectStore('runs').put(run);
    },
  );
}

export function getRun(db: LuminaDatabase, id: string): Promise<RunRecord | undefined> {
  return db.get('runs', id);
}

/** All runs, oldest first. */
export async function listRuns(db: LuminaDatabase): Promise<RunRecord[]> {
  const runs = await db.getAll('runs');
  return runs.sort((a, b) => a.createdAt - b.createdAt);
}

/** Deletes a run and its metrics together. */
export function deleteRun(db: LuminaDatabase, id: string): Promise<void> {
  return writeTransaction(
    db,
    ['runs', 'metrics'],
    () => `deleting run ${id}`,
    async (tx) => {
      await requestAll([
        () => tx.objectStore('runs').delete(id),
        () => tx.objectStore('metrics').delete(prefixRange(id)),
      ]);
    },
  );
}

/** Saves metric rows of a run in one transaction; a row for an existing (step, split) replaces it. */
export function appendMetrics(
  db: LuminaDatabase,
  runId: string,
  rows: readonly MetricRow[],
): Promise<void> {
  return writeTransaction(
    db,
    ['runs', 'metrics'],
    () => `saving ${rows.length} metric rows of run ${runId}`,
    async (tx) => {
      if ((await tx.objectStore('runs').getKey(runId)) === undefined) {
        throw new StoreNotFoundError(`Run ${runId} does not exist.`);
      }
      const metrics = tx.objectStore('metrics');
      await requestEach(rows, (row) => metrics.put({ ...row, runId }));
    },
  );
}

/** A run's metrics by step, then split. */
export function getMetrics(db: LuminaDatabase, runId: string): Promise<MetricRecord[]> {
  return db.getAll('metrics', prefixRange(runId));
}
