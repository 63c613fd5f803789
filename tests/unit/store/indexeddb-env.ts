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
