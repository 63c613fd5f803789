import type { LuminaStore } from '../../store/index.ts';
import type { BudgetStore } from '../batching/index.ts';

/**
 * Learned budgets live in the `jobs` store under their `budgetKey` (prefixed `embed-budget:`),
 * with a dataset id no dataset has, so they never show up in a dataset's job list.
 */
export const BUDGET_DATASET_ID = '@lumina/embed-budgets';
const BUDGET_KIND = 'embed-budget';

/** A `BudgetStore` kept in Lumina's IndexedDB, so a learned limit survives reloads. */
export function idbBudgetStore(store: LuminaStore): BudgetStore {
  return {
    async load(key) {
      const record = await store.getJob(key);
      if (!record || record.kind !== BUDGET_KIND) return undefined;
      const cursor = record.cursor;
      if (typeof cursor !== 'object' || cursor === null || Array.isArray(cursor)) return undefined;
      const budget = cursor['budget'];
      return typeof budget === 'number' && Number.isFinite(budget) ? budget : undefined;
    },
    async save(key, budget) {
      const now = Date.now();
      await store.putJob({
        id: key,
        datasetId: BUDGET_DATASET_ID,
        kind: BUDGET_KIND,
        state: 'done',
        cursor: { budget },
        createdAt: now,
        updatedAt: now,
      });
    },
  };
}
