import { prefixRange } from './keys.ts';
import type { OutboxOp, OutboxRecord, OutboxState } from './records.ts';
import type { LuminaDatabase } from './schema.ts';
import { requestEach, writeTransaction } from './transaction.ts';

export interface OutboxEntry {
  vectorId: string;
  op: OutboxOp;
}

/**
 * Queues vector changes for sync. A vector already queued gets the newer op and goes back to
 * pending: only its latest state needs sending.
 */
export function enqueueOutbox(
  db: LuminaDatabase,
  datasetId: string,
  entries: readonly OutboxEntry[],
): Promise<void> {
  const now = Date.now();
  return writeTransaction(
    db,
    ['syncOutbox'],
    () => `queueing ${entries.length} vector changes for sync`,
    async (tx) => {
      const store = tx.objectStore('syncOutbox');
      await requestEach(entries, ({ vectorId, op }) =>
        store.put({ datasetId, vectorId, op, state: 'pending', attempts: 0, updatedAt: now }),
      );
    },
  );
}

/** Moves entries to `state`; moving to 'sent' counts an attempt. Unknown ids are ignored. */
export function setOutboxState(
  db: LuminaDatabase,
  datasetId: string,
  vectorIds: readonly string[],
  state: OutboxState,
): Promise<void> {
  const now = Date.now();
  return writeTransaction(
    db,
    ['syncOutbox'],
    () => `updating ${vectorIds.length} sync entries`,
    async (tx) => {
      const store = tx.objectStore('syncOutbox');
      const found = await requestEach(vectorIds, (id) => store.get([datasetId, id]));
      const updates = found
        .filter((entry): entry is OutboxRecord => entry !== undefined)
        .map((entry) => ({
          ...entry,
          state,
          attempts: entry.attempts + (state === 'sent' ? 1 : 0),
          updatedAt: now,
        }));
      await requestEach(updates, (entry) => store.put(entry));
    },
  );
}

/** Up to `limit` pending entries of the dataset, in vector id order. */
export function pendingOutboxBatch(
  db: LuminaDatabase,
  datasetId: string,
  limit: number,
): Promise<OutboxRecord[]> {
  return db.getAllFromIndex('syncOutbox', 'datasetState', [datasetId, 'pending'], limit);
}

export function countOutbox(
  db: LuminaDatabase,
  datasetId: string,
  state: OutboxState,
): Promise<number> {
  return db.countFromIndex('syncOutbox', 'datasetState', [datasetId, state]);
}

/** Forgets entries the server has acknowledged. Returns how many were removed. */
export function clearAckedOutbox(db: LuminaDatabase, datasetId: string): Promise<number> {
  return writeTransaction(
    db,
    ['syncOutbox'],
    () => `clearing acknowledged sync entries`,
    async (tx) => {
      const store = tx.objectStore('syncOutbox');
      const keys = await store.index('datasetState').getAllKeys([datasetId, 'acked']);
      await requestEach(keys, (key) => store.delete(key));
      return keys.length;
    },
  );
}

/** Every outbox entry of the dataset, for status views. */
export function listOutbox(db: LuminaDatabase, datasetId: string): Promise<OutboxRecord[]> {
  return db.getAll('syncOutbox', prefixRange(datasetId));
}

/** Moves every entry of the dataset in one of `from` to `to`. Returns how many moved. */
export function moveOutboxStates(
  db: LuminaDatabase,
  datasetId: string,
  from: readonly OutboxState[],
  to: OutboxState,
): Promise<number> {
  const now = Date.now();
  return writeTransaction(
    db,
    ['syncOutbox'],
    () => `returning sync entries to ${to}`,
    async (tx) => {
      const index = tx.objectStore('syncOutbox').index('datasetState');
      const found = (
        await requestEach(
          from.filter((state) => state !== to),
          (state) => index.getAll([datasetId, state]),
        )
      ).flat();
      const store = tx.objectStore('syncOutbox');
      await requestEach(found, (entry) => store.put({ ...entry, state: to, updatedAt: now }));
      return found.length;
    },
  );
}

/** The dataset's entries in `state`, in vector id order. */
export function outboxEntries(
  db: LuminaDatabase,
  datasetId: string,
  state: OutboxState,
): Promise<OutboxRecord[]> {
  return db.getAllFromIndex('syncOutbox', 'datasetState', [datasetId, state]);
}

/** Drops every entry of the dataset, whatever its state. */
export function clearOutbox(db: LuminaDatabase, datasetId: string): Promise<void> {
  return writeTransaction(
    db,
    ['syncOutbox'],
    () => 'clearing sync entries',
    async (tx) => {
      await tx.objectStore('syncOutbox').delete(prefixRange(datasetId));
    },
  );
}
