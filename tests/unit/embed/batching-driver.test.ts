import { describe, expect, it } from 'vitest';
import {
  AdaptiveBudget,
  BudgetExhaustedError,
  budgetKey,
  bucketsUpTo,
  MemoryBudgetStore,
  planBatches,
  runBatchesAdaptively,
  type AdaptiveProgress,
  type Batch,
  type BatchItem,
} from '../../../src/core/embed/batching/index.ts';
import { lengthSkewedCorpus } from './batching-fixtures.ts';

const HIDDEN_LIMIT = 3000; // padded tokens the fake device can hold; the planner never sees it
const REQUESTED = 16_384;

/**
 * Stands in for the ONNX runtime: "embeds" a batch as one string per id, and fails like a
 * WASM heap that cannot grow when the batch costs more than the hidden limit.
 */
function fakeDevice(limit = HIDDEN_LIMIT) {
  const embedded = new Map<string, number>();
  const attempts: Batch[] = [];
  let failures = 0;
  const runner = (batch: Batch): Promise<string[]> => {
    attempts.push(batch);
    if (batch.cost > limit) {
      failures += 1;
      return Promise.reject(new RangeError('Array buffer allocation failed'));
    }
    for (const id of batch.ids) embedded.set(id, (embedded.get(id) ?? 0) + 1);
    return Promise.resolve(batch.ids.map((id) => `vec:${id}`));
  };
  return { runner, embedded, attempts, failures: () => failures };
}

function plan(items: readonly BatchItem[]): Batch[] {
  return planBatches(items, { tokenBudget: REQUESTED, buckets: bucketsUpTo(512) });
}

describe('runBatchesAdaptively with a device that fails above a hidden limit', () => {
  const corpus = lengthSkewedCorpus(3000, 42);
  const key = budgetKey('Xenova/all-MiniLM-L6-v2', 'webgpu');

  it('embeds everything once, learns a budget under the limit, grows back, and remembers it', async () => {
    const store = new MemoryBudgetStore();
    const device = fakeDevice();
    const budget = await AdaptiveBudget.open({ store, key, initial: REQUESTED, growAfter: 3 });
    const progress: AdaptiveProgress[] = [];
    const run = await runBatchesAdaptively(plan(corpus), device.runner, budget, {
      onProgress: (event) => progress.push(event),
    });

    // Every item embedded exactly once, results back in input order.
    expect(run.results).toEqual(corpus.map((item) => `vec:${item.id}`));
    expect(device.embedded.size).toBe(corpus.length);
    expect([...device.embedded.values()].every((count) => count === 1)).toBe(true);
    expect(run.items).toBe(corpus.length);

    // It failed, and each failure was a retry of the same items in smaller pieces.
    expect(device.failures()).toBeGreaterThan(0);
    expect(run.failures).toBe(device.failures());
    const { minFail, maxOk, budget: final } = run.budget;
    expect(minFail).toBeGreaterThan(HIDDEN_LIMIT);
    expect(maxOk).toBeLessThanOrEqual(HIDDEN_LIMIT);
    expect(final).toBeLessThan(minFail ?? 0);

    // The budget shrank below the limit, then successes grew it back.
    const budgets = progress.map((event) => event.budget);
    const lowest = Math.min(...budgets);
    expect(lowest).toBeLessThanOrEqual(HIDDEN_LIMIT);
    expect(budgets.slice(budgets.indexOf(lowest)).some((b) => b > lowest)).toBe(true);

    // Progress counts up to the total and never goes backwards.
    expect(progress.map((e) => e.done)).toEqual(
      [...progress.map((e) => e.done)].sort((a, b) => a - b),
    );
    expect(progress.at(-1)).toMatchObject({
      done: corpus.length,
      total: corpus.length,
      fraction: 1,
    });

    // The learned limit is saved under the model+device key, and it is one that ran.
    const saved = await store.load(key);
    expect(saved).toBeDefined();
    expect(saved).toBeLessThanOrEqual(HIDDEN_LIMIT);

    // A second run starts from it and never fails.
    const again = fakeDevice();
    const second = await AdaptiveBudget.open({ store, key, initial: REQUESTED, growAfter: 3 });
    expect(second.current).toBe(saved);
    const rerun = await runBatchesAdaptively(plan(corpus), again.runner, second);
    expect(again.failures()).toBe(0);
    expect(rerun.failures).toBe(0);
    expect(rerun.results).toEqual(run.results);
    expect(again.attempts.every((b) => b.cost <= (saved ?? 0))).toBe(true);
  });

  it('ends with a clear fatal error when even one item does not fit', async () => {
    const device = fakeDevice(0);
    const budget = new AdaptiveBudget({ initial: REQUESTED });
    const run = runBatchesAdaptively(plan(corpus), device.runner, budget);
    await expect(run).rejects.toBeInstanceOf(BudgetExhaustedError);
    await expect(run).rejects.toThrow(/single item padded to 512 tokens.*try WASM/);
    await run.catch((error: unknown) => {
      expect((error as Error).cause).toBeInstanceOf(RangeError);
    });
    // It gave up after shrinking down to one item, not after endless retries.
    expect(device.attempts.at(-1)?.ids).toHaveLength(1);
    expect(device.attempts.length).toBeLessThan(20);
  });

  it('lets other errors through untouched, without retrying', async () => {
    const bug = new TypeError('tokenizer is not a function');
    let calls = 0;
    const budget = new AdaptiveBudget({ initial: REQUESTED });
    const run = runBatchesAdaptively(
      plan(corpus),
      () => {
        calls += 1;
        return Promise.reject(bug);
      },
      budget,
    );
    await expect(run).rejects.toBe(bug);
    expect(calls).toBe(1);
    expect(budget.current).toBe(REQUESTED);
  });

  it('stops with AbortError when aborted mid-run', async () => {
    const device = fakeDevice();
    const controller = new AbortController();
    const budget = new AdaptiveBudget({ initial: REQUESTED });
    let finished = 0;
    const run = runBatchesAdaptively(plan(corpus), device.runner, budget, {
      signal: controller.signal,
      onProgress: () => {
        finished += 1;
        if (finished === 3) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const attemptsAtAbort = device.attempts.length;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(device.attempts.length).toBe(attemptsAtAbort);
    expect(device.embedded.size).toBeLessThan(corpus.length);
  });

  it('treats a runner rejecting on abort as an abort, not a failure', async () => {
    const controller = new AbortController();
    const budget = new AdaptiveBudget({ initial: REQUESTED });
    const run = runBatchesAdaptively(
      plan(corpus),
      (_batch, signal) =>
        new Promise<string[]>((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason));
          controller.abort();
        }),
      budget,
      { signal: controller.signal },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(budget.snapshot().minFail).toBeUndefined();
  });

  it('streams batches to onBatch from an async source without collecting results', async () => {
    const device = fakeDevice();
    const batches = plan(corpus);
    async function* stream(): AsyncGenerator<Batch> {
      yield* batches;
    }
    const stored: string[] = [];
    const events: AdaptiveProgress[] = [];
    const run = await runBatchesAdaptively(
      stream(),
      device.runner,
      new AdaptiveBudget({ initial: REQUESTED }),
      {
        collect: false,
        totalItems: corpus.length,
        onBatch: async (batch, results) => {
          await Promise.resolve();
          expect(results).toEqual(batch.ids.map((id) => `vec:${id}`));
          stored.push(...batch.ids);
        },
        onProgress: (event) => events.push(event),
      },
    );
    expect(run.results).toEqual([]);
    expect(stored.sort()).toEqual(corpus.map((item) => item.id).sort());
    expect(events.at(-1)?.fraction).toBe(1);
  });

  it('rejects a runner that returns the wrong number of results', async () => {
    const run = runBatchesAdaptively(
      plan(corpus.slice(0, 10)),
      () => Promise.resolve(['only one']),
      new AdaptiveBudget({ initial: REQUESTED }),
    );
    await expect(run).rejects.toThrow(/returned 1 results for a batch of \d+ items/);
  });
});
