/**
 * The browser's storage quota ran out during a write. The write was one transaction, so nothing
 * of it was saved and what was stored before is intact.
 */
export class StoreQuotaError extends Error {
  override readonly name = 'StoreQuotaError';

  /** `action` completes "while …", e.g. "saving 500 documents to dataset 'news'". */
  constructor(action: string, options?: { cause?: unknown }) {
    super(
      `Browser storage is full while ${action}: nothing from this batch was saved; ` +
        'free space by deleting datasets or models, or allow persistent storage',
      options,
    );
  }
}

/** A record the caller named does not exist (a dataset id, a run id, …). */
export class StoreNotFoundError extends Error {
  override readonly name = 'StoreNotFoundError';
}

/** By name, not class: DOMExceptions from another realm or from fake-indexeddb count too. */
function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('name' in error)) return undefined;
  return typeof error.name === 'string' ? error.name : undefined;
}

/**
 * Whether an IndexedDB failure was the quota: thrown by a request, or reported when the
 * transaction aborts (then the rejection may be a bare AbortError and `tx.error` holds the cause).
 */
export function isQuotaError(error: unknown, transactionError?: unknown): boolean {
  if (errorName(error) === 'QuotaExceededError') return true;
  const cause =
    typeof error === 'object' && error !== null && 'cause' in error ? error.cause : undefined;
  if (errorName(cause) === 'QuotaExceededError') return true;
  return errorName(transactionError) === 'QuotaExceededError';
}
