import type { FetchLike } from './pinecone-target.ts';
import { isAbortError, throwIfAborted } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { LuminaStore, OutboxState } from '../store/index.ts';
import { resolveTarget, type SyncConfig, type SyncTarget } from './config.ts';
import { PineconeSyncError, redact } from './errors.ts';
import { planSync } from './plan.ts';
import { PineconeTarget } from './pinecone-target.ts';
import { DEFAULT_RETRY, type RetryEvent, type RetryPolicy } from './retry.ts';
import { sendOutbox, type SendCounts } from './send.ts';
import { SetReader } from './set-reader.ts';
import { readSyncedState, usableSyncedState, writeSyncedState } from './synced-state.ts';
import { readSyncJob, writeSyncJob, type SyncCursor, type SyncVerification } from './sync-job.ts';
import { verifySync } from './verify.ts';

export interface SyncOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Sent / acknowledged / failed counts and retries as they change. */
  onCounts?: (counts: SyncCounts) => void;
  retry?: Partial<RetryPolicy>;
  onRetry?: (event: RetryEvent) => void;
  /** The fetch the Pinecone client uses (tests intercept requests with it). */
  fetch?: FetchLike;
  /** Namespace checks after sending before missing vectors are reported. */
  verifyPolls?: number;
  /** First wait between verification checks, in ms (doubles, up to 5 s). */
  verifyDelayMs?: number;
  /** Vectors fetched back and compared after sending. */
  verifySample?: number;
}

/** Live counts of a running sync: the send counts plus requests retried so far. */
export interface SyncCounts extends SendCounts {
  retries: number;
}

export interface SyncResult {
  datasetId: string;
  setId: string;
  indexName: string;
  namespace: string;
  /** Continued an interrupted sync instead of planning a new one. */
  resumed: boolean;
  planned: { upserts: number; deletes: number };
  /** Records not sent because the last verified sync to this target sent them unchanged. */
  unchanged: number;
  counts: SendCounts;
  /** Requests retried after 429, 5xx or network errors. */
  retries: number;
  /** Batches the service refused (4xx), with its message. */
  failures: string[];
  skipped: { id: string; reason: string }[];
  skippedCount: number;
  notes: string[];
  verification: SyncVerification | null;
  /** Everything sent, acknowledged, verified; the outbox is empty. */
  complete: boolean;
}

export interface SyncStatus {
  counts: Record<OutboxState, number>;
  /** The last or current sync of the dataset, if any. */
  last: SyncCursor | null;
  /** An interrupted or failed sync has entries left to send: `resumeSync` continues it. */
  resumable: boolean;
}

const STATES: readonly OutboxState[] = ['pending', 'sent', 'acked', 'failed'];

export async function syncStatus(store: LuminaStore, datasetId: string): Promise<SyncStatus> {
  const entries = await Promise.all(
    STATES.map(async (state) => [state, await store.countOutbox(datasetId, state)] as const),
  );
  const counts = Object.fromEntries(entries) as Record<OutboxState, number>;
  const last = (await readSyncJob(store, datasetId)) ?? null;
  const left = counts.pending + counts.sent + counts.failed + counts.acked;
  return { counts, last, resumable: last !== null && (left > 0 || last.phase === 'planning') };
}

/** Forgets an unfinished sync: its outbox entries are dropped, nothing is sent. */
export async function discardSync(store: LuminaStore, datasetId: string): Promise<void> {
  await store.clearOutbox(datasetId);
  const last = await readSyncJob(store, datasetId);
  if (last) await writeSyncJob(store, datasetId, { ...last, phase: 'discarded' });
}

/**
 * Brings the namespace of `config` in line with the finished embedding set `setId`: creates or
 * checks the index, queues upserts and deletes in the outbox, sends them in batches with retries,
 * verifies by listing and fetching, then empties the outbox. When an earlier sync of the dataset
 * was interrupted, it is continued instead (same set and target only): acknowledged entries are
 * never sent again, entries whose outcome is unknown are.
 */
export async function syncDataset(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  config: SyncConfig,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const target = resolveTarget(config, datasetId);
  const status = await syncStatus(store, datasetId);
  // A sync cut off while planning sent nothing: it is planned afresh for any target.
  if (status.resumable && status.last && status.last.phase !== 'planning') {
    const last = status.last;
    if (
      last.setId !== setId ||
      last.indexName !== target.indexName ||
      last.namespace !== target.namespace
    ) {
      throw new PineconeSyncError(
        `An unfinished sync of set ${last.setId} to index "${last.indexName}", namespace ` +
          `"${last.namespace}" is waiting: resume it, or discard it before syncing elsewhere.`,
        'config',
      );
    }
  }
  return run(store, datasetId, setId, config, target, status, options);
}

/** Continues the dataset's interrupted sync with its recorded set and target. */
export async function resumeSync(
  store: LuminaStore,
  datasetId: string,
  config: SyncConfig,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const status = await syncStatus(store, datasetId);
  if (!status.resumable || !status.last) {
    throw new PineconeSyncError('This dataset has no unfinished sync to resume.', 'config');
  }
  const { setId, indexName, namespace } = status.last;
  const resolved = { ...config, indexName, namespace };
  return run(
    store,
    datasetId,
    setId,
    resolved,
    resolveTarget(resolved, datasetId),
    status,
    options,
  );
}

function freshCursor(setId: string, target: SyncTarget): SyncCursor {
  return {
    setId,
    indexName: target.indexName,
    namespace: target.namespace,
    phase: 'planning',
    planned: { upserts: 0, deletes: 0 },
    startedAt: Date.now(),
    finishedAt: null,
    skipped: [],
    skippedCount: 0,
    notes: [],
    error: null,
    verification: null,
  };
}

async function run(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  config: SyncConfig,
  target: SyncTarget,
  status: SyncStatus,
  options: SyncOptions,
): Promise<SyncResult> {
  const { signal } = options;
  throwIfAborted(signal);
  const progress = new ProgressReporter(options.onProgress);
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  let retries = 0;
  let lastCounts: SendCounts = { sent: 0, acked: 0, failed: 0, requests: 0 };
  const pinecone = new PineconeTarget(config, {
    retry,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    onRetry: (event) => {
      retries += 1;
      options.onRetry?.(event);
      options.onCounts?.({ ...lastCounts, retries });
    },
  });
  const resumed = status.resumable && status.last?.phase !== 'planning';
  const cursor: SyncCursor =
    resumed && status.last
      ? { ...status.last, error: null, verification: null, finishedAt: null, phase: 'sending' }
      : freshCursor(setId, target);
  // Until the job is written, a failure leaves nothing to resume.
  let written = resumed;
  progress.start(
    `${resumed ? 'Resuming' : 'Starting'} sync of ${setId} to ${target.indexName}/${target.namespace}`,
  );
  try {
    const reader = await SetReader.open(store, datasetId, setId, signal);
    await pinecone.ensureIndex(
      {
        dimension: reader.dims,
        metric: target.metric ?? 'cosine',
        cloud: target.cloud ?? 'aws',
        region: target.region ?? 'us-east-1',
      },
      signal,
    );
    progress.update(0.05, 1, `index ${target.indexName} ready`);

    if (resumed) {
      await store.moveOutboxStates(datasetId, ['sent', 'failed'], 'pending');
    } else {
      await store.clearOutbox(datasetId);
      await writeSyncJob(store, datasetId, cursor);
      written = true;
      const previous = usableSyncedState(await readSyncedState(store, datasetId), {
        setId,
        indexName: target.indexName,
        namespace: target.namespace,
      });
      const fingerprints = await planSync(store, reader, pinecone, cursor, {
        ...(signal ? { signal } : {}),
        ...(previous ? { previous } : {}),
        onStep: (done, total, message) => progress.sub(0.05, 0.15)(done, total, message),
      });
      // Until this sync is verified, the next one compares with nothing and sends everything.
      await writeSyncedState(store, datasetId, {
        setId,
        indexName: target.indexName,
        namespace: target.namespace,
        complete: false,
        fingerprints,
      });
      cursor.phase = 'sending';
      await writeSyncJob(store, datasetId, cursor);
    }
    progress.update(
      0.15,
      1,
      `${cursor.planned.upserts} upserts, ${cursor.planned.deletes} deletes` +
        (cursor.unchanged ? `, ${cursor.unchanged} unchanged` : ''),
    );

    const toSend = (await store.countOutbox(datasetId, 'pending')) || 1;
    const sendStep = progress.sub(0.15, 0.9);
    const { counts, failures } = await sendOutbox(store, reader, pinecone, cursor, {
      ...(signal ? { signal } : {}),
      onCounts: (c) => {
        lastCounts = c;
        options.onCounts?.({ ...c, retries });
        sendStep(
          c.acked + c.failed,
          toSend,
          `sent ${c.sent}, acknowledged ${c.acked} of ${toSend}`,
        );
      },
    });
    cursor.phase = 'verifying';
    await writeSyncJob(store, datasetId, cursor);

    const { verification, retryIds } = await verifySync(store, reader, pinecone, cursor, {
      sleep: retry.sleep,
      ...(options.verifyPolls !== undefined ? { maxPolls: options.verifyPolls } : {}),
      ...(options.verifyDelayMs !== undefined ? { firstDelayMs: options.verifyDelayMs } : {}),
      ...(options.verifySample !== undefined ? { sampleSize: options.verifySample } : {}),
      ...(signal ? { signal } : {}),
      onPoll: (poll, listed) =>
        progress.update(0.9, 1, `verifying: ${listed} listed (check ${poll})`),
    });
    if (retryIds.length > 0) await store.setOutboxState(datasetId, retryIds, 'pending');
    await store.clearAckedOutbox(datasetId);
    const left = await syncStatus(store, datasetId);
    const outstanding = left.counts.pending + left.counts.sent + left.counts.failed;
    const complete = outstanding === 0 && verification.ok;
    cursor.verification = verification;
    cursor.phase = complete ? 'done' : 'failed';
    cursor.finishedAt = Date.now();
    cursor.error = complete ? null : describeIncomplete(failures, verification, outstanding);
    await writeSyncJob(store, datasetId, cursor);
    if (complete) {
      const synced = await readSyncedState(store, datasetId);
      if (
        synced &&
        synced.setId === setId &&
        synced.indexName === target.indexName &&
        synced.namespace === target.namespace
      ) {
        await writeSyncedState(store, datasetId, { ...synced, complete: true });
      }
    }
    progress.finish(
      complete ? `${counts.acked} changes synced and verified` : (cursor.error ?? ''),
    );
    return {
      datasetId,
      setId,
      indexName: target.indexName,
      namespace: target.namespace,
      resumed,
      planned: cursor.planned,
      unchanged: cursor.unchanged ?? 0,
      counts,
      retries,
      failures,
      skipped: cursor.skipped,
      skippedCount: cursor.skippedCount,
      notes: cursor.notes,
      verification,
      complete,
    };
  } catch (error) {
    if (!isAbortError(error)) {
      const message = redact(error instanceof Error ? error.message : String(error), config.apiKey);
      cursor.error = message;
      if (cursor.phase !== 'planning' || !written) cursor.phase = 'failed';
      await writeSyncJob(store, datasetId, cursor).catch(() => undefined);
    }
    throw error;
  }
}

function describeIncomplete(
  failures: readonly string[],
  verification: SyncVerification,
  outstanding: number,
): string {
  const parts: string[] = [];
  if (failures.length > 0) parts.push(`${failures.length} batches refused: ${failures[0] ?? ''}`);
  if (verification.missingCount > 0) {
    parts.push(`${verification.missingCount} upserted vectors not visible in Pinecone`);
  }
  if (verification.lingeringCount > 0) {
    parts.push(`${verification.lingeringCount} deleted vectors still in Pinecone`);
  }
  if (verification.valueMismatches.length > 0) {
    parts.push(`${verification.valueMismatches.length} vectors differ from the local ones`);
  }
  parts.push(`${outstanding} changes left to send: resume the sync to send them`);
  return parts.join('; ');
}
