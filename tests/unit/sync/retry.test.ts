import { describe, expect, it } from 'vitest';
import {
  abortableSleep,
  fullJitterDelay,
  PineconeSyncError,
  redact,
  withRetry,
  type RetryPolicy,
} from '../../../src/core/sync/index.ts';

function policy(overrides: Partial<RetryPolicy> = {}): RetryPolicy & { slept: number[] } {
  const slept: number[] = [];
  return {
    baseMs: 100,
    capMs: 1000,
    maxAttempts: 5,
    random: () => 0.5,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
    slept,
    ...overrides,
  };
}

const http = (status: number): PineconeSyncError =>
  new PineconeSyncError(`HTTP ${status}`, 'http', status);

describe('full jitter', () => {
  it('waits uniformly in [0, min(cap, base·2^attempt))', () => {
    const at = (attempt: number, u: number): number =>
      fullJitterDelay(attempt, policy({ random: () => u }));
    expect(at(0, 0)).toBe(0);
    expect(at(0, 0.999)).toBeCloseTo(99.9, 6);
    expect(at(3, 0.5)).toBe(400);
    expect(at(4, 0.999)).toBeCloseTo(999, 6); // 1600 capped at 1000
    expect(at(20, 0.25)).toBe(250);
  });

  it('sleeps the jittered delay between retries of 429, 5xx and network errors', async () => {
    const p = policy();
    const failures = [http(429), http(500), http(503), new PineconeSyncError('x', 'network')];
    let calls = 0;
    const result = await withRetry(() => {
      const failure = failures[calls];
      calls += 1;
      return failure ? Promise.reject(failure) : Promise.resolve('ok');
    }, p);
    expect(result).toBe('ok');
    expect(calls).toBe(5);
    expect(p.slept).toEqual([50, 100, 200, 400]);
  });

  it('does not retry other 4xx answers', async () => {
    for (const status of [400, 401, 404, 422]) {
      const p = policy();
      let calls = 0;
      await expect(
        withRetry(() => {
          calls += 1;
          return Promise.reject(http(status));
        }, p),
      ).rejects.toThrow(`HTTP ${status}`);
      expect(calls).toBe(1);
      expect(p.slept).toEqual([]);
    }
  });

  it('gives up after maxAttempts with the last error', async () => {
    const p = policy({ maxAttempts: 3 });
    let calls = 0;
    await expect(
      withRetry(() => {
        calls += 1;
        return Promise.reject(http(503));
      }, p),
    ).rejects.toThrow(/HTTP 503 \(gave up after 3 attempts\)/);
    expect(calls).toBe(3);
  });

  it('stops at once when aborted during a backoff sleep', async () => {
    const controller = new AbortController();
    const p = policy({ baseMs: 60_000, capMs: 60_000, random: () => 0.99, sleep: abortableSleep });
    let calls = 0;
    const started = Date.now();
    const run = withRetry(
      () => {
        calls += 1;
        return Promise.reject(http(429));
      },
      p,
      controller.signal,
    );
    setTimeout(() => controller.abort(), 20);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(calls).toBe(1);
  });
});

describe('redact', () => {
  it('removes every occurrence of the key', () => {
    expect(redact('key=abc, again abc.', 'abc')).toBe('key=[api key], again [api key].');
    expect(redact('nothing', '')).toBe('nothing');
  });
});
