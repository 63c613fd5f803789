import * as Comlink from 'comlink';
import '../src/lib/comlink-abort.ts';
import type { ProgressCallback } from '../src/core/progress.ts';
import { openStore, type LuminaStore } from '../src/core/store/index.ts';
import {
  discardSync,
  queryPinecone,
  resumeSync,
  syncDataset,
  syncStatus,
  type QueryMatch,
  type SyncConfig,
  type SyncCounts,
  type SyncOptions,
  type SyncResult,
  type SyncStatus,
} from '../src/core/sync/index.ts';

let storePromise: Promise<LuminaStore> | null = null;
const store = (): Promise<LuminaStore> => (storePromise ??= openStore());

function control(
  signal: AbortSignal | undefined,
  onProgress: ProgressCallback | undefined,
  onCounts: ((counts: SyncCounts) => void) | undefined,
): SyncOptions {
  return {
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(onCounts ? { onCounts } : {}),
  };
}

/** Pinecone sync of stored embedding sets; the API key arrives per call and is never kept. */
const api = {
  /** Syncs a finished set to the config's index and namespace, or continues an interrupted sync. */
  async sync(
    datasetId: string,
    setId: string,
    config: SyncConfig,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
    onCounts?: (counts: SyncCounts) => void,
  ): Promise<SyncResult> {
    return syncDataset(
      await store(),
      datasetId,
      setId,
      config,
      control(signal, onProgress, onCounts),
    );
  },

  /** Continues the dataset's interrupted sync with its recorded set, index and namespace. */
  async resume(
    datasetId: string,
    config: SyncConfig,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
    onCounts?: (counts: SyncCounts) => void,
  ): Promise<SyncResult> {
    return resumeSync(await store(), datasetId, config, control(signal, onProgress, onCounts));
  },

  /** Outbox counts per state and the last sync's record. */
  async status(datasetId: string): Promise<SyncStatus> {
    return syncStatus(await store(), datasetId);
  },

  /** Drops an unfinished sync's queued changes. */
  async discard(datasetId: string): Promise<void> {
    await discardSync(await store(), datasetId);
  },

  /** Nearest vectors in Pinecone for the search view. */
  async query(
    config: SyncConfig,
    vector: Float32Array | number[],
    topK: number,
    filter?: object,
    datasetId?: string,
    signal?: AbortSignal,
  ): Promise<QueryMatch[]> {
    return queryPinecone(config, vector, topK, filter, {
      ...(datasetId !== undefined ? { datasetId } : {}),
      ...(signal ? { signal } : {}),
    });
  },
};

export type SyncApi = typeof api;
Comlink.expose(api);
