import { StoreNotFoundError } from './errors.ts';
import type { ConversationRecord } from './records.ts';
import type { LuminaDatabase } from './schema.ts';
import { requestEach, writeTransaction } from './transaction.ts';

export function putConversation(db: LuminaDatabase, record: ConversationRecord): Promise<void> {
  return writeTransaction(
    db,
    ['conversations'],
    () => `saving conversation ${record.id}`,
    async (tx) => {
      await tx.objectStore('conversations').put(record);
    },
  );
}

export function getConversation(
  db: LuminaDatabase,
  id: string,
): Promise<ConversationRecord | undefined> {
  return db.get('conversations', id);
}

/** The dataset's conversations, the most recently updated first. */
export async function listConversations(
  db: LuminaDatabase,
  datasetId: string,
): Promise<ConversationRecord[]> {
  const list = await db.getAllFromIndex('conversations', 'datasetId', datasetId);
  return list.sort((a, b) => b.updatedAt - a.updatedAt || a.id.localeCompare(b.id));
}

/** Gives a conversation a new title (and a new `updatedAt`, so it lists first). */
export function renameConversation(
  db: LuminaDatabase,
  id: string,
  title: string,
  now: number = Date.now(),
): Promise<ConversationRecord> {
  return writeTransaction(
    db,
    ['conversations'],
    () => `renaming conversation ${id}`,
    async (tx) => {
      const store = tx.objectStore('conversations');
      const record = await store.get(id);
      if (!record) throw new StoreNotFoundError(`Conversation ${id} does not exist.`);
      const renamed = { ...record, title, updatedAt: now };
      await store.put(renamed);
      return renamed;
    },
  );
}

export function deleteConversation(db: LuminaDatabase, id: string): Promise<void> {
  return writeTransaction(
    db,
    ['conversations'],
    () => `deleting conversation ${id}`,
    async (tx) => {
      await tx.objectStore('conversations').delete(id);
    },
  );
}

/** Deletes every conversation of a dataset; returns how many there were. */
export function deleteDatasetConversations(db: LuminaDatabase, datasetId: string): Promise<number> {
  return writeTransaction(
    db,
    ['conversations'],
    () => `deleting the conversations of ${datasetId}`,
    async (tx) => {
      const store = tx.objectStore('conversations');
      const keys = await store.index('datasetId').getAllKeys(datasetId);
      await requestEach(keys, (key) => store.delete(key));
      return keys.length;
    },
  );
}
