import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { budgetKey } from '../../../../src/core/embed/batching/index.ts';
import {
  BUDGET_DATASET_ID,
  embedDataset,
  idbBudgetStore,
} from '../../../../src/core/embed/job/index.ts';
import type { LuminaStore } from '../../../../src/core/store/index.ts';
import { fakeRunner, openTestStore, readSet, seedCorpus, type Corpus } from './fixtures.ts';

let store: LuminaStore;
let corpus: Corpus;
beforeEach(async () => {
  store = await openTestStore();
  corpus = await seedCorpus(store, 200, 4, 7);
});
afterEach(() => store.close());

describe('idbBudgetStore', () => {
  it('round-trips a budget per key and hides it from dataset job lists', async () => {
    const budgets = idbBudgetStore(store);
    const key = budgetKey('org/model', 'webgpu');
    expect(await budgets.load(key)).toBeUndefined();
    await budgets.save(key, 1234);
    await budgets.save(budgetKey('org/model', 'wasm'), 99);
    expect(await budgets.load(key)).toBe(1234);
    expect(await budgets.load(budgetKey('org/model', 'wasm'))).toBe(99);
    expect(await store.listJobs(corpus.dataset.id)).toEqual([]);
    expect((await store.listJobs(BUDGET_DATASET_ID)).length).toBe(2);
  });

  it('learns the limit of a runner that fails above it, saves it, and the next run starts there', async () => {
    const hiddenLimit = 300;
    const options = { tokenBudget: 4096, maxTokens: 64, windowSize: 400 };
    const first = fakeRunner({ hiddenLimit });
    const result = await embedDataset(store, corpus.dataset.id, first, options, {
      budgetStore: idbBudgetStore(store),
    });
    expect(first.oomFailures).toBeGreaterThan(0);
    expect(result.failures).toBe(first.oomFailures);
    expect(result.chunks).toBe(corpus.texts.size);
    expect((await readSet(store, corpus.dataset.id, 'fake/model')).size).toBe(corpus.texts.size);

    const learned = await idbBudgetStore(store).load(budgetKey('fake/model', 'wasm'));
    expect(learned).toBeDefined();
    expect(learned).toBeLessThanOrEqual(hiddenLimit * 2);
    expect(learned).toBeLessThan(options.tokenBudget);

    // A new run (as after a reload) reads the learned budget back and no longer fails.
    const second = fakeRunner({ hiddenLimit });
    const again = await embedDataset(store, corpus.dataset.id, second, options, {
      budgetStore: idbBudgetStore(store),
    });
    expect(second.oomFailures).toBe(0);
    expect(again.budget).toBeLessThanOrEqual(learned ?? 0);
  });
});
