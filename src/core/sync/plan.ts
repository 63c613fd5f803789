import { throwIfAborted } from '../abort.ts';
import type { LuminaStore } from '../store/index.ts';
import { PINECONE_LIMITS } from './limits.ts';
import type { PineconeTarget } from './pinecone-target.ts';
import { idProblem, vectorId } from './records.ts';
import { buildRecord, GONE } from './send.ts';
import type { SetReader } from './set-reader.ts';
import { recordFingerprint, type SyncedState } from './synced-state.ts';
import { keepSome, type SyncCursor } from './sync-job.ts';

export interface PlanControl {
  signal?: AbortSignal;
  onStep?: (done: number, total: number, message: string) => void;
  /** The last verified sync of the same set and target: its unchanged records are not queued. */
  previous?: SyncedState;
}

/**
 * Queues in the outbox everything that brings the namespace in line with the set: an upsert
 * per embedded chunk of the dataset whose record (values and metadata) differs from what the
 * last verified sync sent, or is missing from the namespace, and a delete per id in the namespace
 * that is not one of them (its chunk or document is gone locally). Ids Pinecone cannot take are
 * skipped with a reason. Everything is queued before anything is sent, so a closed tab can
 * resume. Returns the fingerprint of every local record, for the next sync to compare with.
 */
export async function planSync(
  store: LuminaStore,
  reader: SetReader,
  pinecone: PineconeTarget,
  cursor: SyncCursor,
  { signal, onStep, previous }: PlanControl = {},
): Promise<Record<string, string>> {
  const { datasetId } = reader;
  const local = new Set<string>();
  const fingerprints: Record<string, string> = {};
  const unchanged: string[] = [];
  const total = reader.rows.size;
  for await (const chunks of reader.embeddedChunks(signal)) {
    const entries: { vectorId: string; op: 'upsert' }[] = [];
    for (const chunk of chunks) {
      const id = vectorId(chunk.docId, chunk.index);
      const problem = idProblem(id, chunk.docId);
      if (problem) {
        cursor.skippedCount += 1;
        keepSome(cursor.skipped, { id: id.slice(0, 80), reason: problem });
        continue;
      }
      local.add(id);
      const built = await buildRecord(reader, id);
      // Unsendable or gone records are queued anyway: sending reports or deletes them.
      if (built !== GONE && typeof built !== 'string') {
        const fingerprint = recordFingerprint(built.record);
        fingerprints[id] = fingerprint;
        if (previous?.fingerprints[id] === fingerprint) {
          unchanged.push(id);
          continue;
        }
      }
      entries.push({ vectorId: id, op: 'upsert' });
    }
    await store.enqueueOutbox(datasetId, entries);
    onStep?.(local.size, total, `${local.size} vectors queued`);
  }
  throwIfAborted(signal);

  const remote = await pinecone.listAll(cursor.namespace, signal, (count) =>
    onStep?.(local.size, total, `${count} ids listed in namespace ${cursor.namespace}`),
  );
  // An unchanged record that is not in the namespace (deleted there, or the index was
  // recreated) is sent again.
  const present = new Set(remote);
  const lost = unchanged.filter((id) => !present.has(id));
  for (let i = 0; i < lost.length; i += PINECONE_LIMITS.maxVectorsPerUpsert) {
    await store.enqueueOutbox(
      datasetId,
      lost
        .slice(i, i + PINECONE_LIMITS.maxVectorsPerUpsert)
        .map((id) => ({ vectorId: id, op: 'upsert' as const })),
    );
  }
  const gone = remote.filter((id) => !local.has(id));
  for (let i = 0; i < gone.length; i += PINECONE_LIMITS.maxIdsPerDelete) {
    const slice = gone.slice(i, i + PINECONE_LIMITS.maxIdsPerDelete);
    await store.enqueueOutbox(
      datasetId,
      slice.map((id) => ({ vectorId: id, op: 'delete' as const })),
    );
  }
  // Sending builds the records again from the store: chunks edited or deleted since are seen.
  reader.clearCaches();
  cursor.planned = { upserts: local.size - unchanged.length + lost.length, deletes: gone.length };
  cursor.unchanged = unchanged.length - lost.length;
  return fingerprints;
}
