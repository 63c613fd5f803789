import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AdaptiveBudget,
  budgetKey,
  isResourceError,
  MemoryBudgetStore,
} from '../../../src/core/embed/batching/index.ts';

const oom = new RangeError('Array buffer allocation failed');

/** What an Emscripten abort or trap throws (`WebAssembly.RuntimeError`, not typed in Node's lib). */
function wasmTrap(message: string): Error {
  return Object.assign(new Error(message), { name: 'RuntimeError' });
}

describe('isResourceError', () => {
  // Wordings from onnxruntime-web 1.31 (JS bundle and WASM strings), transformers.js and
  // upstream reports; see resource-errors.ts for where each comes from.
  it.each([
    oom,
    new Error(
      "failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: Non-zero status code returned while running MatMul node. Name:'/attn/MatMul' Status Message: bfc_arena.cc:376 onnxruntime::BFCArena::AllocateRawInternal Failed to allocate memory for requested buffer of size 805306368",
    ),
    new Error("Can't create a session. failed to allocate a buffer of size 90868224."),
    new Error('std::bad_alloc'),
    wasmTrap('Aborted(OOM). Build with -sASSERTIONS for more info.'),
    new Error(
      '[E:onnxruntime:Default, webgpu_context.cc:120 operator()] WebGPU device error(2): Out of memory',
    ),
    new Error('WebGPU device lost (2): Device was destroyed.'),
    new Error('Device was lost. This can happen due to insufficient memory.'),
    new Error('DeviceLost'),
    new Error('Buffer size (3185049600) exceeds the max buffer size limit (1073741824)'),
    new Error(
      "Failed to download data from buffer: Failed to execute 'mapAsync' on 'GPUBuffer': [Invalid Buffer (unlabeled)] is invalid due to a previous error.",
    ),
    new Error('Failed to download data from buffer. wgpu::MapAsyncStatus value: 2'),
    'Out of memory',
  ])('recognises %s', (error) => {
    expect(isResourceError(error)).toBe(true);
  });

  it('recognises WebGPU error objects by class and errors wrapped in a cause', () => {
    class GPUOutOfMemoryError {
      readonly message = '';
    }
    expect(isResourceError(new GPUOutOfMemoryError())).toBe(true);
    expect(isResourceError(new Error('embedding batch 3 failed', { cause: oom }))).toBe(true);
  });

  it.each([
    new TypeError('model.forward is not a function'),
    wasmTrap('memory access out of bounds'),
    new Error(
      "failed to call OrtRun(). ERROR_CODE: 2, ERROR_MESSAGE: input 'input_ids' is missing",
    ),
    new DOMException('The operation was aborted.', 'AbortError'),
    'boom',
    undefined,
    null,
    42,
    { message: 42 },
  ])('does not mistake %s for a resource error', (error) => {
    expect(isResourceError(error)).toBe(false);
  });
});

describe('AdaptiveBudget', () => {
  it('halves on a resource failure, then answers fatal once a single item does not fit', () => {
    const budget = new AdaptiveBudget({ initial: 4096 });
    expect(budget.onFailure(oom, { cost: 4096, paddedLength: 512 })).toBe('retry');
    expect(budget.current).toBe(2048);
    // A failed batch smaller than the budget halves from its own cost.
    expect(budget.onFailure(oom, { cost: 1536, paddedLength: 512 })).toBe('retry');
    expect(budget.current).toBe(768);
    // Floor: one item of the failed batch's padded length.
    expect(budget.onFailure(oom, { cost: 1024, paddedLength: 512 })).toBe('retry');
    expect(budget.current).toBe(512);
    expect(budget.onFailure(oom, { cost: 512, paddedLength: 512 })).toBe('fatal');
    expect(budget.fatalReason).toMatch(/single item padded to 512 tokens/);
    expect(budget.snapshot()).toEqual({ budget: 512, maxOk: undefined, minFail: 512 });
  });

  it('falls back to the largest cost that already ran when that beats halving', () => {
    const budget = new AdaptiveBudget({ initial: 8192 });
    budget.onSuccess({ cost: 2900 });
    expect(budget.onFailure(oom, { cost: 3072, paddedLength: 256 })).toBe('retry');
    expect(budget.current).toBe(2900);
    // Once that cost fails too, plain halving takes over.
    expect(budget.onFailure(oom, { cost: 2900, paddedLength: 100 })).toBe('retry');
    expect(budget.current).toBe(1450);
  });

  it('treats other errors as fatal without touching the budget', () => {
    const budget = new AdaptiveBudget({ initial: 4096 });
    expect(budget.onFailure(new TypeError('bug'), { cost: 4096, paddedLength: 64 })).toBe('fatal');
    expect(budget.snapshot()).toEqual({ budget: 4096, maxOk: undefined, minFail: undefined });
  });

  it('grows back 10 % after each run of successes, never up to a cost that failed', () => {
    const budget = new AdaptiveBudget({ initial: 10_000, growAfter: 3 });
    budget.onFailure(oom, { cost: 8000, paddedLength: 100 });
    expect(budget.current).toBe(4000);
    const seen: number[] = [];
    for (let i = 0; i < 60; i += 1) {
      budget.onSuccess({ cost: budget.current });
      seen.push(budget.current);
    }
    expect(seen.slice(0, 6)).toEqual([4000, 4000, 4400, 4400, 4400, 4840]);
    expect(Math.max(...seen)).toBe(7999);
    expect(budget.snapshot()).toEqual({ budget: 7999, maxOk: 7999, minFail: 8000 });
  });

  it('does not grow past the budget it was asked for', () => {
    const budget = new AdaptiveBudget({ initial: 1000, growAfter: 1 });
    for (let i = 0; i < 10; i += 1) budget.onSuccess();
    expect(budget.current).toBe(1000);
  });

  it('keeps the budget within [floor, max] and below every failed cost, whatever happens', () => {
    const event = fc.oneof(
      fc.record({ ok: fc.constant(true), cost: fc.integer({ min: 1, max: 9000 }) }),
      fc.record({
        ok: fc.constant(false),
        cost: fc.integer({ min: 1, max: 9000 }),
        paddedLength: fc.constantFrom(16, 32, 64, 128, 256, 512),
      }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8192 }),
        fc.array(event, { maxLength: 80 }),
        (initial, events) => {
          const budget = new AdaptiveBudget({ initial, growAfter: 2 });
          for (const e of events) {
            if (e.ok) budget.onSuccess({ cost: e.cost });
            else if ('paddedLength' in e) {
              const padded = Math.min(e.paddedLength, e.cost);
              const before = budget.current;
              const verdict = budget.onFailure(oom, { cost: e.cost, paddedLength: padded });
              expect(verdict).toBe(e.cost <= padded ? 'fatal' : 'retry');
              if (verdict === 'fatal') return;
              expect(budget.current).toBeLessThan(e.cost);
              expect(budget.current).toBeLessThanOrEqual(before);
            }
            const { budget: current, minFail } = budget.snapshot();
            expect(current).toBeGreaterThanOrEqual(1);
            expect(current).toBeLessThanOrEqual(initial);
            if (minFail !== undefined) expect(current).toBeLessThan(minFail);
          }
        },
      ),
    );
  });
});

describe('budget persistence', () => {
  it('keys budgets by model and device without collisions', () => {
    const keys = [
      budgetKey('Xenova/all-MiniLM-L6-v2', 'webgpu'),
      budgetKey('Xenova/all-MiniLM-L6-v2', 'wasm'),
      budgetKey('local:minilm', 'webgpu'),
      budgetKey('a:b', 'c'),
      budgetKey('a', 'b:c'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('saves only a learned limit, no higher than a cost that ran, and starts from it next time', async () => {
    const store = new MemoryBudgetStore();
    const key = budgetKey('m', 'webgpu');
    const first = await AdaptiveBudget.open({ store, key, initial: 8192 });
    first.onSuccess({ cost: 3000 });
    await first.persist();
    expect(await store.load(key)).toBeUndefined();

    first.onFailure(oom, { cost: 8192, paddedLength: 256 });
    expect(first.current).toBe(4096);
    first.onSuccess({ cost: 3840 });
    await first.persist();
    expect(await store.load(key)).toBe(3840);

    const second = await AdaptiveBudget.open({ store, key, initial: 8192, growAfter: 1 });
    expect(second.current).toBe(3840);
    for (let i = 0; i < 5; i += 1) second.onSuccess();
    expect(second.current).toBe(3840);
    // A smaller request still wins over the learned limit.
    expect((await AdaptiveBudget.open({ store, key, initial: 1000 })).current).toBe(1000);
    // Other models and devices are unaffected.
    expect(
      (await AdaptiveBudget.open({ store, key: budgetKey('m', 'wasm'), initial: 8192 })).current,
    ).toBe(8192);
  });
});
