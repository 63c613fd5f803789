import type { JobRecord, LuminaStore } from '../store/index.ts';
import type { JsonValue } from '../types.ts';
import type { UpsertRecord } from './batching.ts';

export const SYNCED_KIND = 'pinecone-synced';

/**
 * What the last planned sync of a dataset was to bring the namespace to: a fingerprint of every
 * record it meant to upsert. `complete` turns true only once that sync was sent and verified, and
 * only then does the next sync of the same set and target skip the records that are unchanged.
 */
export interface SyncedState {
  setId: string;
  indexName: string;
  namespace: string;
  complete: boolean;
  /** Vector id → fingerprint of its values and metadata. */
  fingerprints: Record<string, string>;
}

export function syncedStateId(datasetId: string): string {
  return `sync-state:${datasetId}`;
}

/**
 * A 53-bit hash (cyrb53) of a record's values and metadata, as hex. Not cryptographic: it only
 * tells whether a record changed since it was sent; a collision (about 1 in 2^53 per changed
 * record) would leave one stale vector until its content changes again.
 */
export function recordFingerprint(record: Pick<UpsertRecord, 'values' | 'metadata'>): string {
  const text = JSON.stringify([record.values, record.metadata ?? null]);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16);
}

export async function readSyncedState(
  store: LuminaStore,
  datasetId: string,
): Promise<SyncedState | undefined> {
  const job = await store.getJob(syncedStateId(datasetId));
  if (!job || job.kind !== SYNCED_KIND) return undefined;
  // Written only by `writeSyncedState` below, from a `SyncedState`.
  return job.cursor as unknown as SyncedState;
}

export async function writeSyncedState(
  store: LuminaStore,
  datasetId: string,
  state: SyncedState,
): Promise<void> {
  const now = Date.now();
  const job: JobRecord = {
    id: syncedStateId(datasetId),
    datasetId,
    kind: SYNCED_KIND,
    state: state.complete ? 'done' : 'running',
    cursor: state as unknown as JsonValue,
    createdAt: now,
    updatedAt: now,
  };
  await store.putJob(job);
}

/** The state when it describes a verified sync of this set to this target, else undefined. */
export function usableSyncedState(
  state: SyncedState | undefined,
  target: { setId: string; indexName: string; namespace: string },
): SyncedState | undefined {
  if (!state?.complete) return undefined;
  const same =
    state.setId === target.setId &&
    state.indexName === target.indexName &&
    state.namespace === target.namespace;
  return same ? state : undefined;
}
