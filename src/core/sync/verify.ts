import type { LuminaStore } from '../store/index.ts';
import type { PineconeTarget } from './pinecone-target.ts';
import type { Sleep } from './retry.ts';
import type { SetReader } from './set-reader.ts';
import type { SyncCursor, SyncVerification } from './sync-job.ts';

export interface VerifyOptions {
  sleep: Sleep;
  /** Checks of the namespace before giving up on writes that are not visible yet. */
  maxPolls?: number;
  /** First wait between checks; it doubles up to `maxDelayMs`. */
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** Upserted vectors fetched back and compared value by value. */
  sampleSize?: number;
  signal?: AbortSignal;
  onPoll?: (poll: number, listed: number) => void;
}

const SHOWN = 20;
/** Fetch sends ids in the URL: keep requests well under common URL limits. */
const FETCH_PAGE = 100;

/**
 * Checks the acknowledged entries against the namespace: every upserted id listed and no deleted
 * id left, polling with backoff while writes may still be invisible (Pinecone is eventually
 * consistent), then fetches a sample back to compare dimensions and values with the local ones.
 * `retryIds` are the entries to send again.
 */
export async function verifySync(
  store: LuminaStore,
  reader: SetReader,
  pinecone: PineconeTarget,
  cursor: SyncCursor,
  options: VerifyOptions,
): Promise<{ verification: SyncVerification; retryIds: string[] }> {
  const acked = await store.outboxEntries(reader.datasetId, 'acked');
  const upserted = acked.filter((e) => e.op === 'upsert').map((e) => e.vectorId);
  const deleted = acked.filter((e) => e.op === 'delete').map((e) => e.vectorId);
  const maxPolls = options.maxPolls ?? 8;
  let delay = options.firstDelayMs ?? 250;
  const check = async (): Promise<{ listed: number; missing: string[]; lingering: string[] }> => {
    const present = new Set(await pinecone.listAll(cursor.namespace, options.signal));
    return {
      listed: present.size,
      missing: upserted.filter((id) => !present.has(id)),
      lingering: deleted.filter((id) => present.has(id)),
    };
  };
  let polls = 1;
  let seen = await check();
  options.onPoll?.(polls, seen.listed);
  while ((seen.missing.length > 0 || seen.lingering.length > 0) && polls < maxPolls) {
    await options.sleep(delay, options.signal);
    delay = Math.min(options.maxDelayMs ?? 5_000, delay * 2);
    polls += 1;
    seen = await check();
    options.onPoll?.(polls, seen.listed);
  }
  const { listed, missing, lingering } = seen;
  const sample = upserted.filter((id) => !missing.includes(id)).slice(0, options.sampleSize ?? 100);
  const valueMismatches: string[] = [];
  for (let i = 0; i < sample.length; i += FETCH_PAGE) {
    const ids = sample.slice(i, i + FETCH_PAGE);
    const found = await pinecone.fetchValues(cursor.namespace, ids, options.signal);
    for (const id of ids) {
      const remote = found.get(id);
      const local = await reader.vector(id);
      if (!remote || !local || !sameVector(remote, local)) valueMismatches.push(id);
    }
  }
  const verification: SyncVerification = {
    ok: missing.length === 0 && lingering.length === 0 && valueMismatches.length === 0,
    listed,
    missing: missing.slice(0, SHOWN),
    missingCount: missing.length,
    lingering: lingering.slice(0, SHOWN),
    lingeringCount: lingering.length,
    valuesChecked: sample.length,
    valueMismatches: valueMismatches.slice(0, SHOWN),
    polls,
  };
  return { verification, retryIds: [...missing, ...lingering, ...valueMismatches] };
}

/** Same dimension and the same float32 values (Pinecone stores float32). */
function sameVector(remote: readonly number[], local: readonly number[]): boolean {
  if (remote.length !== local.length) return false;
  return remote.every((value, i) => Math.fround(value) === Math.fround(local[i] ?? NaN));
}
