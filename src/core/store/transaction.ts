import { unwrap, type IDBPTransaction, type StoreNames } from 'idb';
import { isQuotaError, StoreQuotaError } from './errors.ts';
import type { LuminaDatabase, LuminaSchema } from './schema.ts';

type Names = StoreNames<LuminaSchema>[];
export type WriteTransaction<N extends Names> = IDBPTransaction<LuminaSchema, N, 'readwrite'>;

function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch {
    // The transaction already finished or aborted on its own.
  }
}

/**
 * Runs `body` in one read-write transaction, so its writes land together or not at all.
 * `body` must only await requests of `tx`: awaiting anything else lets the transaction commit
 * half-way. A quota failure becomes a `StoreQuotaError` that says what was being saved.
 */
export async function writeTransaction<N extends Names, T>(
  db: LuminaDatabase,
  storeNames: N,
  describe: () => string,
  body: (tx: WriteTransaction<N>) => Promise<T>,
): Promise<T> {
  const tx = db.transaction<N, 'readwrite'>(storeNames, 'readwrite');
  const done = tx.done;
  // Observed below; this keeps an abort before that point from being an unhandled rejection.
  done.catch(() => undefined);
  try {
    const result = await body(tx);
    await done;
    return result;
  } catch (error) {
    const raw = unwrap(tx);
    abortQuietly(raw);
    await done.catch(() => undefined);
    if (isQuotaError(error, raw.error)) {
      // When the transaction aborted on its own, its error is the reason; `error` may be a bare
      // AbortError of a request it took down.
      throw new StoreQuotaError(describe(), { cause: raw.error ?? error });
    }
    throw error;
  }
}

/**
 * Issues one request per item and waits for all. If issuing throws part-way (a synchronous
 * quota error, say), the requests already issued are observed, so the rejections they get when
 * the transaction aborts are not reported as unhandled.
 */
export function requestEach<I, R>(
  items: Iterable<I>,
  request: (item: I) => Promise<R>,
): Promise<R[]> {
  const issued: Promise<R>[] = [];
  try {
    for (const item of items) issued.push(request(item));
  } catch (error) {
    for (const pending of issued) pending.catch(() => undefined);
    throw error;
  }
  return Promise.all(issued);
}

/** Issues the requests in order and waits for all, with the same care as `requestEach`. */
export function requestAll(requests: readonly (() => Promise<unknown>)[]): Promise<unknown[]> {
  return requestEach(requests, (request) => request());
}
