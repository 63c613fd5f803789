import * as Comlink from 'comlink';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../src/core/progress.ts';
import { WorkerClient, WorkerCrashedError } from '../../src/lib/worker-client.ts';
import type { TestApi } from './fixtures/test.worker.ts';

function client(options: Partial<ConstructorParameters<typeof WorkerClient>[1]> = {}) {
  return new WorkerClient<TestApi>(
    () => new Worker(new URL('./fixtures/test.worker.ts', import.meta.url), { type: 'module' }),
    { name: 'test worker', ...options },
  );
}

describe('WorkerClient', () => {
  it('starts lazily and answers calls', async () => {
    const c = client();
    expect(c.started).toBe(false);
    expect(await c.call((api) => api.echo('hi'))).toBe('hi');
    expect(c.started).toBe(true);
    c.terminate();
  });

  it('sends progress that never goes backwards and ends at 100 %', async () => {
    const c = client();
    const events: Progress[] = [];
    const result = await c.call((api) =>
      api.count(
        20,
        undefined,
        Comlink.proxy((e: Progress) => events.push(e)),
      ),
    );
    expect(result).toBe(20);
    // Progress comes over the callback's own port, so the last event may trail the result.
    await expect.poll(() => events.at(-1)?.status).toBe('done');
    const fractions = events.map((e) => e.fraction);
    for (let i = 1; i < fractions.length; i++)
      expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1] ?? 0);
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
    expect(events[0]?.status).toBe('start');
    c.terminate();
  });

  it('carries an AbortSignal into the worker, which stops with an AbortError', async () => {
    const c = client();
    const controller = new AbortController();
    const pending = c.call((api) => api.count(10_000, controller.signal), controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    // The same worker keeps serving: a cooperative cancel needs no restart.
    expect(await c.call((api) => api.echo('still here'))).toBe('still here');
    c.terminate();
  });

  it('terminates a worker that ignores the abort, and starts a fresh one next time', async () => {
    const c = client({ hardCancelAfterMs: 100 });
    await c.call((api) => api.echo('warm'));
    const controller = new AbortController();
    const started = performance.now();
    const pending = c.call((api) => api.spin(10_000), controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(c.started).toBe(false);
    expect(await c.call((api) => api.echo('fresh'))).toBe('fresh');
    c.terminate();
  });

  it('turns a crash into a clear error and restarts on the next call', async () => {
    const c = client();
    await expect(c.call((api) => api.crash())).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(c.call((api) => api.crash())).rejects.toThrow(/test worker stopped unexpectedly/);
    expect(await c.call((api) => api.echo('back'))).toBe('back');
    c.terminate();
  });

  it('stops restarting after repeated crashes', async () => {
    const c = client({ maxCrashes: 2 });
    await expect(c.call((api) => api.crash())).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(c.call((api) => api.crash())).rejects.toBeInstanceOf(WorkerCrashedError);
    await expect(c.call((api) => api.echo('x'))).rejects.toThrow(/crashed 2 times/);
  });

  it('transfers buffers instead of copying them', async () => {
    const c = client();
    const filled = await c.call((api) => api.fill(1000));
    expect(filled.length).toBe(1000);
    expect(filled[999]).toBe(999);
    const buffer = new ArrayBuffer(4096);
    expect(await c.call((api) => api.byteLengthOf(Comlink.transfer(buffer, [buffer])))).toBe(4096);
    expect(buffer.byteLength).toBe(0);
    c.terminate();
  });
});
