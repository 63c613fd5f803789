import type { IDBPObjectStore, StoreNames } from 'idb';
import { StoreNotFoundError } from './errors.ts';
import { prefixRange } from './keys.ts';
import type { ChunkingSettings, DatasetRecord, DatasetSettings } from './records.ts';
import type { LuminaDatabase, LuminaSchema } from './schema.ts';
import { requestAll, writeTransaction } from './transaction.ts';

type DatasetStore = IDBPObjectStore<
  LuminaSchema,
  ArrayLike<StoreNames<LuminaSchema>>,
  'datasets',
  'readwrite'
>;

/** How a write changes a dataset's counters; applied in the same transaction as the write. */
export interface CounterDelta {
  documents?: number;
  chunks?: number;
  bytes?: number;
}

export async function requireDataset(store: DatasetStore, id: string): Promise<DatasetRecord> {
  const dataset = await store.get(id);
  if (!dataset) throw new StoreNotFoundError(`Dataset ${id} does not exist.`);
  return dataset;
}

/** Writes the dataset back with its counters moved by `delta` and `updatedAt` set to now. */
export function putDatasetCounters(
  store: DatasetStore,
  dataset: DatasetRecord,
  delta: CounterDelta,
): Promise<string> {
  return store.put({
    ...dataset,
    documentCount: dataset.documentCount + (delta.documents ?? 0),
    chunkCount: dataset.chunkCount + (delta.chunks ?? 0),
    bytes: dataset.bytes + (delta.bytes ?? 0),
    updatedAt: Date.now(),
  });
}

function cleanName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new Error('A dataset needs a name.');
  return trimmed;
}

export async function createDataset(
  db: LuminaDatabase,
  name: string,
  settings: DatasetSettings = {},
): Promise<DatasetRecord> {
  const now = Date.now();
  const dataset: DatasetRecord = {
    id: crypto.randomUUID(),
    name: cleanName(name),
    createdAt: now,
    updatedAt: now,
    documentCount: 0,
    chunkCount: 0,
    bytes: 0,
    ...settings,
  };
  await writeTransaction(
    db,
    ['datasets'],
    () => `creating dataset '${dataset.name}'`,
    (tx) => tx.objectStore('datasets').add(dataset),
  );
  return dataset;
}

/** All datasets, oldest first. */
export async function listDatasets(db: LuminaDatabase): Promise<DatasetRecord[]> {
  const datasets = await db.getAll('datasets');
  return datasets.sort((a, b) => a.createdAt - b.createdAt);
}

export function getDataset(db: LuminaDatabase, id: string): Promise<DatasetRecord | undefined> {
  return db.get('datasets', id);
}

async function updateDataset(
  db: LuminaDatabase,
  id: string,
  change: (dataset: DatasetRecord) => DatasetRecord,
): Promise<DatasetRecord> {
  return writeTransaction(
    db,
    ['datasets'],
    () => `updating dataset ${id}`,
    async (tx) => {
      const store = tx.objectStore('datasets');
      const updated = { ...change(await requireDataset(store, id)), updatedAt: Date.now() };
      await store.put(updated);
      return updated;
    },
  );
}

export async function renameDataset(
  db: LuminaDatabase,
  id: string,
  name: string,
): Promise<DatasetRecord> {
  const clean = cleanName(name);
  return updateDataset(db, id, (dataset) => ({ ...dataset, name: clean }));
}

/** Records the chunking settings or tokenizer the dataset's chunks were made with. */
export function setDatasetSettings(
  db: LuminaDatabase,
  id: string,
  settings: DatasetSettings,
): Promise<DatasetRecord> {
  return updateDataset(db, id, (dataset) => ({ ...dataset, ...settings }));
}

/** Records the settings chunks were just made with; `tokenizer` goes to its own field. */
export function updateDatasetChunking(
  db: LuminaDatabase,
  id: string,
  settings: ChunkingSettings & { tokenizer?: string },
): Promise<DatasetRecord> {
  const { tokenizer, ...chunking } = settings;
  return setDatasetSettings(
    db,
    id,
    tokenizer === undefined ? { chunking } : { chunking, tokenizer },
  );
}

/**
 * Deletes a dataset and everything that belongs to it in one transaction. Each store is keyed by
 * dataset first, so each is one key-range delete; jobs are found through their dataset index.
 * Returns false when there was no such dataset.
 */
export function deleteDataset(db: LuminaDatabase, id: string): Promise<boolean> {
  return writeTransaction(
    db,
    [
      'datasets',
      'files',
      'documents',
      'chunks',
      'embeddingBlocks',
      'jobs',
      'syncOutbox',
      'analyses',
      'conversations',
    ],
    () => `deleting dataset ${id}`,
    async (tx) => {
      const existed = (await tx.objectStore('datasets').getKey(id)) !== undefined;
      const range = prefixRange(id);
      const jobs = tx.objectStore('jobs');
      const jobIds = await jobs.index('datasetId').getAllKeys(id);
      const conversations = tx.objectStore('conversations');
      const conversationIds = await conversations.index('datasetId').getAllKeys(id);
      await requestAll([
        () => tx.objectStore('datasets').delete(id),
        () => tx.objectStore('files').delete(range),
        () => tx.objectStore('documents').delete(range),
        () => tx.objectStore('chunks').delete(range),
        () => tx.objectStore('embeddingBlocks').delete(range),
        () => tx.objectStore('syncOutbox').delete(range),
        () => tx.objectStore('analyses').delete(range),
        ...jobIds.map((jobId) => () => jobs.delete(jobId)),
        ...conversationIds.map((conversationId) => () => conversations.delete(conversationId)),
      ]);
      return existed;
    },
  );
}
