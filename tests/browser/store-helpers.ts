import { openStore } from '../../src/core/store/index.ts';

/** Removes what a test wrote to the app's own IndexedDB store, so later files start clean. */
export async function deleteStoredDatasets(...datasetIds: string[]): Promise<void> {
  const store = await openStore();
  for (const id of datasetIds) await store.deleteDataset(id);
  store.close();
}
