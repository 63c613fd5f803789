import { prefixRange } from './keys.ts';
import { keyRanges } from './platform.ts';
import type { CheckpointRecord } from './records.ts';
import type { LuminaDatabase } from './schema.ts';
import { writeTransaction } from './transaction.ts';

/** Saves a checkpoint; one at the same (run, step) is replaced. */
export function putCheckpoint(db: LuminaDatabase, record: CheckpointRecord): Promise<void> {
  return writeTransaction(
    db,
    ['checkpoints'],
    () => `saving the step ${record.step} checkpoint of run ${record.runId}`,
    async (tx) => {
      await tx.objectStore('checkpoints').put(record);
    },
  );
}

export function getCheckpoint(
  db: LuminaDatabase,
  runId: string,
  step: number,
): Promise<CheckpointRecord | undefined> {
  return db.get('checkpoints', [runId, step]);
}

/** A run's checkpoints by step, without their tensors (they can be large). */
export async function listCheckpoints(
  db: LuminaDatabase,
  runId: string,
): Promise<Omit<CheckpointRecord, 'tensors'>[]> {
  const out: Omit<CheckpointRecord, 'tensors'>[] = [];
  let cursor = await db.transaction('checkpoints').store.openCursor(prefixRange(runId));
  while (cursor) {
    const { tensors: _tensors, ...rest } = cursor.value;
    out.push(rest);
    cursor = await cursor.continue();
  }
  return out;
}

/** The checkpoint with the highest step, tensors included. */
export async function latestCheckpoint(
  db: LuminaDatabase,
  runId: string,
): Promise<CheckpointRecord | undefined> {
  const cursor = await db.transaction('checkpoints').store.openCursor(prefixRange(runId), 'prev');
  return cursor?.value;
}

/** Deletes a run's checkpoints, or only those before `beforeStep` (to keep the last few). */
export function deleteCheckpoints(
  db: LuminaDatabase,
  runId: string,
  beforeStep?: number,
): Promise<void> {
  return writeTransaction(
    db,
    ['checkpoints'],
    () => `deleting checkpoints of run ${runId}`,
    async (tx) => {
      const store = tx.objectStore('checkpoints');
      if (beforeStep === undefined) await store.delete(prefixRange(runId));
      // [runId, 0] … [runId, beforeStep), steps being non-negative.
      else await store.delete(keyRanges().bound([runId, 0], [runId, beforeStep], false, true));
    },
  );
}
