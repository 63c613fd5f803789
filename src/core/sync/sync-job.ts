import type { JobRecord, JobState, LuminaStore } from '../store/index.ts';
import type { JsonValue } from '../types.ts';

export const SYNC_JOB_KIND = 'pinecone-sync';

export type SyncPhase = 'planning' | 'sending' | 'verifying' | 'done' | 'failed' | 'discarded';

export interface SyncVerification {
  ok: boolean;
  /** Ids listed in the namespace at the last check. */
  listed: number;
  /** Upserted ids still not visible when checking stopped (at most 20 shown). */
  missing: string[];
  missingCount: number;
  /** Deleted ids still visible when checking stopped (at most 20 shown). */
  lingering: string[];
  lingeringCount: number;
  /** Vectors fetched back and compared with the local ones. */
  valuesChecked: number;
  valueMismatches: string[];
  polls: number;
}

/** What a sync records about itself; the API key is never part of it. */
export interface SyncCursor {
  setId: string;
  indexName: string;
  namespace: string;
  phase: SyncPhase;
  planned: { upserts: number; deletes: number };
  /** Records left out because the last verified sync sent them as they are now. */
  unchanged?: number;
  startedAt: number;
  finishedAt: number | null;
  /** Records that could not be sent, with why. At most 50 kept. */
  skipped: { id: string; reason: string }[];
  skippedCount: number;
  /** Metadata conversions (renamed, stringified, dropped fields; cut texts). At most 50 kept. */
  notes: string[];
  error: string | null;
  verification: SyncVerification | null;
}

export function syncJobId(datasetId: string): string {
  return `sync:${datasetId}`;
}

const STATE_OF: Record<SyncPhase, JobState> = {
  planning: 'running',
  sending: 'running',
  verifying: 'running',
  done: 'done',
  failed: 'failed',
  discarded: 'cancelled',
};

export async function readSyncJob(
  store: LuminaStore,
  datasetId: string,
): Promise<SyncCursor | undefined> {
  const job = await store.getJob(syncJobId(datasetId));
  if (!job || job.kind !== SYNC_JOB_KIND) return undefined;
  // Written only by `writeSyncJob` below, from a `SyncCursor`.
  return job.cursor as unknown as SyncCursor;
}

export async function writeSyncJob(
  store: LuminaStore,
  datasetId: string,
  cursor: SyncCursor,
): Promise<void> {
  const now = Date.now();
  const job: JobRecord = {
    id: syncJobId(datasetId),
    datasetId,
    kind: SYNC_JOB_KIND,
    state: STATE_OF[cursor.phase],
    cursor: JSON.parse(JSON.stringify(cursor)) as JsonValue,
    createdAt: cursor.startedAt,
    updatedAt: now,
    ...(cursor.error !== null ? { error: cursor.error } : {}),
  };
  await store.putJob(job);
}

export const KEEP_LISTED = 50;

export function keepSome<T>(list: T[], item: T, limit = KEEP_LISTED): void {
  if (list.length < limit) list.push(item);
}
