import { abortError, isAbortError, throwIfAborted } from '../abort.ts';
import { PineconeSyncError } from './errors.ts';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryPolicy {
  /** First backoff ceiling in milliseconds; it doubles with each attempt. */
  baseMs: number;
  /** Largest backoff ceiling. */
  capMs: number;
  /** Tries in all, the first one included. */
  maxAttempts: number;
  /** Uniform [0, 1) source for the jitter. */
  random: () => number;
  sleep: Sleep;
}

/** Waits `ms`, rejecting with the signal's reason as soon as it is aborted. */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : abortError());
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export const DEFAULT_RETRY: RetryPolicy = {
  baseMs: 250,
  capMs: 20_000,
  maxAttempts: 8,
  random: Math.random,
  sleep: abortableSleep,
};

/** Full jitter: a uniform wait in [0, min(cap, base · 2^attempt)), attempt counted from 0. */
export function fullJitterDelay(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  return policy.random() * ceiling;
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  error: PineconeSyncError;
}

/**
 * Runs `call` until it succeeds, retrying retryable sync errors with full-jitter backoff. Other
 * errors, an abort, or running out of attempts end it with the last error.
 */
export async function withRetry<T>(
  call: (signal?: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  signal?: AbortSignal,
  onRetry?: (event: RetryEvent) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    throwIfAborted(signal);
    try {
      return await call(signal);
    } catch (error) {
      if (signal?.aborted || isAbortError(error)) throw error;
      if (!(error instanceof PineconeSyncError) || !error.retryable) throw error;
      if (attempt + 1 >= policy.maxAttempts) {
        throw new PineconeSyncError(
          `${error.message} (gave up after ${policy.maxAttempts} attempts)`,
          error.kind,
          error.status,
        );
      }
      const delayMs = fullJitterDelay(attempt, policy);
      onRetry?.({ attempt, delayMs, error });
      await policy.sleep(delayMs, signal);
    }
  }
}
