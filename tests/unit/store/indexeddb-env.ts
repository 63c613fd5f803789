// fake-indexeddb/auto installs IndexedDB's globals, which idb needs (it checks `instanceof IDBDatabase`).
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import {
  openStore,
  type LuminaStore,
  type OpenStoreOptions,
} from '../../../src/core/store/index.ts';

/** A store on its own in-memory IndexedDB, so tests never see each other's data. */
export function openTestStore(
  options: Omit<OpenStoreOptions, 'factory'> = {},
): Promise<LuminaStore> {
  return openStore({ ...options, factory: new IDBFactory() });
}

/** A fresh store with one dataset holding `texts` (id → text) as documents of one file. */
export async function storeWithDocuments(
  texts: Record<string, string>,
): Promise<{ store: LuminaStore; datasetId: string }> {
  const store = await openTestStore();
  const dataset = await store.createDataset('src');
  await store.addDocuments(
    dataset.id,
    'h',
    Object.entries(texts).map(([id, text]) => ({ id, source: `${id}.txt`, text, metadata: {} })),
  );
  return { store, datasetId: dataset.id };
}
