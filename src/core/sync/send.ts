import { isAbortError, throwIfAborted } from '../abort.ts';
import type { LuminaStore, OutboxRecord } from '../store/index.ts';
import { splitUpserts, type UpsertRecord } from './batching.ts';
import { PineconeSyncError } from './errors.ts';
import { PINECONE_LIMITS } from './limits.ts';
import type { PineconeTarget } from './pinecone-target.ts';
import { buildMetadata } from './records.ts';
import type { SetReader } from './set-reader.ts';
import { keepSome, type SyncCursor } from './sync-job.ts';

export interface SendCounts {
  /** Ids sent in this run, re-sends included. */
  sent: number;
  acked: number;
  failed: number;
  /** Requests made (upserts and deletes, retries not counted). */
  requests: number;
}

export interface SendControl {
  signal?: AbortSignal;
  onCounts?: (counts: SendCounts) => void;
}

interface SendContext {
  store: LuminaStore;
  reader: SetReader;
  pinecone: PineconeTarget;
  cursor: SyncCursor;
  counts: SendCounts;
  failures: string[];
  control: SendControl;
}

const STOP_STATUSES = new Set([401, 403, 404]);

/** Entries read per round; each round becomes one or more requests. */
const ROUND = PINECONE_LIMITS.maxVectorsPerUpsert;

/**
 * Sends the pending outbox entries: each request's ids are marked 'sent' before it goes and
 * 'acked' once the service confirms it. A refused request (4xx) marks its ids 'failed' and the
 * rest continues; an abort, or a failure that outlasted the retries, stops the run with the
 * in-flight ids left 'sent' for the next run to send again. Returns the failure messages.
 */
export async function sendOutbox(
  store: LuminaStore,
  reader: SetReader,
  pinecone: PineconeTarget,
  cursor: SyncCursor,
  control: SendControl = {},
): Promise<{ counts: SendCounts; failures: string[] }> {
  const ctx: SendContext = {
    store,
    reader,
    pinecone,
    cursor,
    counts: { sent: 0, acked: 0, failed: 0, requests: 0 },
    failures: [],
    control,
  };
  for (;;) {
    throwIfAborted(control.signal);
    const entries = await store.pendingOutboxBatch(reader.datasetId, ROUND);
    if (entries.length === 0) break;
    const upserts = entries.filter((entry) => entry.op === 'upsert');
    const deletes = entries.filter((entry) => entry.op === 'delete');
    if (upserts.length > 0) await sendUpserts(ctx, upserts);
    if (deletes.length > 0)
      await sendRequest(
        ctx,
        deletes.map((e) => e.vectorId),
        'delete',
      );
  }
  return { counts: ctx.counts, failures: ctx.failures };
}

async function sendUpserts(ctx: SendContext, entries: OutboxRecord[]): Promise<void> {
  const { reader, cursor } = ctx;
  const records: UpsertRecord[] = [];
  const unsendable: string[] = [];
  const gone: string[] = [];
  for (const entry of entries) {
    const record = await buildRecord(reader, entry.vectorId);
    if (record === GONE) {
      gone.push(entry.vectorId);
      continue;
    }
    if (typeof record === 'string') {
      unsendable.push(entry.vectorId);
      cursor.skippedCount += 1;
      keepSome(cursor.skipped, { id: entry.vectorId.slice(0, 80), reason: record });
      continue;
    }
    for (const note of record.notes) keepSome(cursor.notes, `${entry.vectorId}: ${note}`);
    records.push(record.record);
  }
  const batches = splitUpserts(records, cursor.namespace, undefined, (record, bytes) => {
    unsendable.push(record.id);
    cursor.skippedCount += 1;
    keepSome(cursor.skipped, { id: record.id, reason: `needs a ${bytes}-byte request` });
  });
  if (unsendable.length > 0) await markFailed(ctx, unsendable);
  // Deleted locally since it was queued: it must go from Pinecone too (picked up next round).
  if (gone.length > 0) {
    await ctx.store.enqueueOutbox(
      reader.datasetId,
      gone.map((vectorId) => ({ vectorId, op: 'delete' as const })),
    );
  }
  for (const batch of batches) await sendRequest(ctx, batch, 'upsert');
}

/** `buildRecord`'s answer for a chunk, vector or document deleted locally. */
export const GONE = Symbol('gone locally');

/** The upsert record of a vector id from the local store, a reason it cannot be sent, or GONE. */
export async function buildRecord(
  reader: SetReader,
  id: string,
): Promise<{ record: UpsertRecord; notes: string[] } | string | typeof GONE> {
  const at = id.lastIndexOf('#');
  const docId = id.slice(0, at);
  const index = Number(id.slice(at + 1));
  const [values, chunk, doc] = await Promise.all([
    reader.vector(id),
    reader.chunk(docId, index),
    reader.document(docId),
  ]);
  if (!values || !chunk || !doc) return GONE;
  try {
    const { metadata, notes } = buildMetadata({
      docId,
      chunkIndex: index,
      source: doc.source,
      text: chunk.text,
      metadata: doc.metadata,
    });
    return { record: { id, values, metadata }, notes };
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function markFailed(ctx: SendContext, ids: string[]): Promise<void> {
  await ctx.store.setOutboxState(ctx.reader.datasetId, ids, 'failed');
  ctx.counts.failed += ids.length;
  ctx.control.onCounts?.({ ...ctx.counts });
}

async function sendRequest(
  ctx: SendContext,
  payload: UpsertRecord[] | string[],
  op: 'upsert' | 'delete',
): Promise<void> {
  const { store, reader, pinecone, cursor, counts, control } = ctx;
  const ids = payload.map((item) => (typeof item === 'string' ? item : item.id));
  await store.setOutboxState(reader.datasetId, ids, 'sent');
  counts.sent += ids.length;
  counts.requests += 1;
  control.onCounts?.({ ...counts });
  try {
    if (op === 'upsert') {
      await pinecone.upsert(cursor.namespace, payload as UpsertRecord[], control.signal);
    } else {
      await pinecone.deleteIds(cursor.namespace, ids, control.signal);
    }
  } catch (error) {
    // Unknown outcome (abort, retries exhausted): the ids stay 'sent' and go again on resume.
    if (isAbortError(error) || !(error instanceof PineconeSyncError) || error.retryable) {
      throw error;
    }
    // A refused key or a missing index fails every request alike: stop instead of marching on.
    if (error.kind !== 'http' || STOP_STATUSES.has(error.status ?? 0)) throw error;
    ctx.failures.push(`${op} of ${ids.length} vectors from ${ids[0] ?? ''}: ${error.message}`);
    await markFailed(ctx, ids);
    return;
  }
  await store.setOutboxState(reader.datasetId, ids, 'acked');
  counts.acked += ids.length;
  control.onCounts?.({ ...counts });
}
