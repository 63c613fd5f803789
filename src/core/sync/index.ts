export { splitUpserts, slices, UPSERT_LIMITS, upsertBody } from './batching.ts';
export type { BatchLimits, UpsertRecord } from './batching.ts';
export { defaultNamespace, resolveTarget } from './config.ts';
export type { PineconeMetric, SyncConfig, SyncTarget } from './config.ts';
export { PineconeSyncError, redact } from './errors.ts';
export type { SyncErrorKind } from './errors.ts';
export { PINECONE_LIMITS } from './limits.ts';
export { PineconeTarget } from './pinecone-target.ts';
export type { FetchLike, IndexSpec, QueryMatch, TargetOptions } from './pinecone-target.ts';
export { queryPinecone } from './query.ts';
export type { QueryOptions } from './query.ts';
export {
  buildMetadata,
  convertUserFields,
  idProblem,
  RESERVED_KEYS,
  truncateToBytes,
  vectorId,
} from './records.ts';
export type { PineconeMetadata, PineconeMetadataValue } from './records.ts';
export { abortableSleep, DEFAULT_RETRY, fullJitterDelay, withRetry } from './retry.ts';
export type { RetryEvent, RetryPolicy, Sleep } from './retry.ts';
export type { SendCounts } from './send.ts';
export { discardSync, resumeSync, syncDataset, syncStatus } from './sync-dataset.ts';
export type { SyncCounts, SyncOptions, SyncResult, SyncStatus } from './sync-dataset.ts';
export { toPineconeFilter } from './search-filter.ts';
export { SYNC_JOB_KIND, syncJobId } from './sync-job.ts';
export { readSyncedState, recordFingerprint, SYNCED_KIND, syncedStateId } from './synced-state.ts';
export type { SyncedState } from './synced-state.ts';
export type { SyncCursor, SyncPhase, SyncVerification } from './sync-job.ts';
