export {
  AdaptiveBudget,
  BudgetExhaustedError,
  type AdaptiveBudgetOptions,
  type BudgetAttempt,
  type BudgetSnapshot,
  type PersistentBudgetOptions,
} from './adaptive-budget.ts';
export { budgetKey, MemoryBudgetStore, type BudgetStore } from './budget-store.ts';
export { bucketFor, bucketsUpTo, DEFAULT_BUCKETS, normalizeBuckets } from './buckets.ts';
export {
  planBatches,
  splitBatch,
  summarizePlan,
  type Batch,
  type BatchItem,
  type BatchOrder,
  type BatchPlanOptions,
  type PlanSummary,
} from './plan.ts';
export { isResourceError } from './resource-errors.ts';
export {
  runBatchesAdaptively,
  type AdaptiveProgress,
  type AdaptiveRunControl,
  type AdaptiveRunResult,
  type BatchRunner,
} from './run-adaptively.ts';
