/**
 * Errors of a sync. Messages are built here from the HTTP status and the service's own message
 * with the API key cut out, and no error keeps the client's error as `cause`: a client or fetch
 * error may carry the request (and so the Api-Key header) along.
 */

export type SyncErrorKind = 'http' | 'network' | 'config' | 'data';

export class PineconeSyncError extends Error {
  override readonly name = 'PineconeSyncError';
  constructor(
    message: string,
    readonly kind: SyncErrorKind,
    /** HTTP status when the service answered. */
    readonly status?: number,
  ) {
    super(message);
  }

  /** 429, 5xx and network failures may succeed when tried again; other answers will not. */
  get retryable(): boolean {
    if (this.kind === 'network') return true;
    if (this.kind !== 'http' || this.status === undefined) return false;
    return this.status === 429 || this.status >= 500;
  }
}

/** Replaces every occurrence of `secret` in `text`. */
export function redact(text: string, secret: string): string {
  if (secret.length === 0) return text;
  return text.split(secret).join('[api key]');
}

const STATUS_HINTS: Record<number, string> = {
  401: 'the API key was refused',
  403: 'the API key may not do this',
  404: 'not found',
  429: 'rate limited',
};

/** A sync error for a failed `operation` from what the client threw and the status it saw. */
export function wrapClientError(
  error: unknown,
  operation: string,
  status: number | undefined,
  apiKey: string,
): PineconeSyncError {
  const raw = error instanceof Error ? error.message : String(error);
  // The client's messages are long (status pages, bug tracker); the first sentence says enough.
  const detail = redact(raw, apiKey).slice(0, 500);
  if (status !== undefined && status >= 400) {
    const hint = STATUS_HINTS[status] ?? (status >= 500 ? 'server error' : 'request refused');
    return new PineconeSyncError(
      `Pinecone ${operation} failed with HTTP ${status} (${hint}): ${detail}`,
      'http',
      status,
    );
  }
  return new PineconeSyncError(
    `Pinecone ${operation} got no answer (network error): ${detail}`,
    'network',
  );
}
