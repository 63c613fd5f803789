import { isAbortError, throwIfAborted } from '../../abort.ts';
import {
  BudgetExhaustedError,
  type AdaptiveBudget,
  type BudgetSnapshot,
} from './adaptive-budget.ts';
import { splitBatch, type Batch } from './plan.ts';
import { isResourceError } from './resource-errors.ts';

/** Runs one batch and returns one result per item, in the batch's `ids` order. */
export type BatchRunner<R> = (
  batch: Batch,
  signal: AbortSignal | undefined,
) => Promise<readonly R[]>;

export interface AdaptiveProgress {
  status: 'progress';
  /** Items finished; never goes backwards. */
  done: number;
  total: number | undefined;
  /** done / total when the total is known. */
  fraction: number | undefined;
  /** Real (unpadded) tokens finished. */
  tokens: number;
  /** The batch that just finished. */
  batchSize: number;
  paddedLength: number;
  budget: number;
  /** Resource failures so far; each was retried in smaller pieces. */
  failures: number;
}

export interface AdaptiveRunControl<R> {
  signal?: AbortSignal;
  onProgress?: (event: AdaptiveProgress) => void;
  /** Called for every batch that ran, in run order, before the next one starts (e.g. to store it). */
  onBatch?: (batch: Batch, results: readonly R[]) => void | Promise<void>;
  /** Keep results to return them in input order (default true); turn off when `onBatch` stores them. */
  collect?: boolean;
  /** Items in the source, for progress when the source is not an array. */
  totalItems?: number;
}

export interface AdaptiveRunResult<R> {
  /** `results[i]` belongs to the item at position i given to `planBatches`; empty when not collected. */
  results: R[];
  /** Batches that ran, after any splitting. */
  batches: number;
  items: number;
  failures: number;
  budget: BudgetSnapshot;
}

/**
 * Runs planned batches, learning the device's limit as it goes: a batch that fails with a
 * resource error is split under the shrunken budget and its pieces retried; later batches that
 * cost more than the current budget are split before they run. Other errors propagate as they
 * are; a batch that cannot shrink further ends the run with `BudgetExhaustedError`.
 */
export async function runBatchesAdaptively<R>(
  source: Iterable<Batch> | AsyncIterable<Batch>,
  runner: BatchRunner<R>,
  budget: AdaptiveBudget,
  control: AdaptiveRunControl<R> = {},
): Promise<AdaptiveRunResult<R>> {
  const { signal, onProgress, onBatch, collect = true } = control;
  const total = control.totalItems ?? (Array.isArray(source) ? countItems(source) : undefined);
  const results: R[] = [];
  let done = 0;
  let tokens = 0;
  let batches = 0;
  let failures = 0;

  for await (const planned of source) {
    const pending: Batch[] = [planned];
    while (pending.length > 0) {
      throwIfAborted(signal);
      const batch = pending.shift();
      if (batch === undefined) break;
      if (batch.cost > budget.current && batch.ids.length > 1) {
        pending.unshift(...splitBatch(batch, budget.current));
        continue;
      }

      let output: readonly R[];
      try {
        output = await runner(batch, signal);
      } catch (error) {
        throwIfAborted(signal);
        if (isAbortError(error)) throw error;
        const verdict = budget.onFailure(error, batch);
        if (verdict === 'fatal') {
          if (!isResourceError(error)) throw error;
          throw new BudgetExhaustedError(
            `Embedding failed: ${budget.fatalReason ?? 'out of memory'}.`,
            budget.snapshot(),
            { cause: error },
          );
        }
        failures += 1;
        pending.unshift(batch);
        continue;
      }
      throwIfAborted(signal);
      if (output.length !== batch.ids.length) {
        throw new Error(
          `The runner returned ${output.length} results for a batch of ${batch.ids.length} items.`,
        );
      }

      budget.onSuccess(batch);
      if (failures > 0) await budget.persist();
      if (collect) {
        output.forEach((value, i) => {
          const index = batch.indices[i];
          if (index !== undefined) results[index] = value;
        });
      }
      await onBatch?.(batch, output);
      batches += 1;
      done += batch.ids.length;
      tokens += batch.tokens.reduce((sum, t) => sum + t, 0);
      onProgress?.({
        status: 'progress',
        done,
        total,
        fraction: total === undefined || total === 0 ? undefined : Math.min(1, done / total),
        tokens,
        batchSize: batch.ids.length,
        paddedLength: batch.paddedLength,
        budget: budget.current,
        failures,
      });
    }
  }
  await budget.persist();
  return { results, batches, items: done, failures, budget: budget.snapshot() };
}

function countItems(batches: readonly Batch[]): number {
  return batches.reduce((sum, batch) => sum + batch.ids.length, 0);
}
