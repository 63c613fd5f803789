import type { BudgetStore } from './budget-store.ts';
import { isResourceError } from './resource-errors.ts';

export interface BudgetSnapshot {
  /** Current padded-token budget. */
  budget: number;
  /** Largest batch cost (padded tokens) that ran, if any did. */
  maxOk: number | undefined;
  /** Smallest batch cost that failed for lack of memory, if any did. */
  minFail: number | undefined;
}

/** The batch an outcome is about; without it the budget itself is taken as the batch cost. */
export interface BudgetAttempt {
  cost: number;
  paddedLength: number;
}

export interface AdaptiveBudgetOptions {
  /** Padded tokens per batch to start from. */
  initial: number;
  /** Growth never goes past this; defaults to `initial` (what the user asked for). */
  max?: number;
  /** Budget multiplier after a resource failure; default 0.5. */
  shrinkFactor?: number;
  /** Budget multiplier after `growAfter` consecutive successes; default 1.1. */
  growFactor?: number;
  growAfter?: number;
  /** Lowest budget when the failing batch is not known; default 1. */
  floor?: number;
}

export interface PersistentBudgetOptions extends AdaptiveBudgetOptions {
  store: BudgetStore;
  /** See `budgetKey(modelId, device)`. */
  key: string;
}

/** No budget can fit even one item: the model does not run on this device at this length. */
export class BudgetExhaustedError extends Error {
  override readonly name = 'BudgetExhaustedError';

  constructor(
    message: string,
    readonly snapshot: BudgetSnapshot,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A padded-token budget that learns the device's limit: a resource failure shrinks it (the same
 * batch is then retried in smaller pieces), a run of successes grows it back slowly, never up to
 * a cost that has already failed. The learned limit can be kept per model and device.
 */
export class AdaptiveBudget {
  private budget: number;
  private readonly max: number;
  private readonly shrinkFactor: number;
  private readonly growFactor: number;
  private readonly growAfter: number;
  private readonly floor: number;
  private maxOk: number | undefined;
  private minFail: number | undefined;
  private streak = 0;
  private fatal: string | undefined;
  private persistence: { store: BudgetStore; key: string; saved: number | undefined } | undefined;

  constructor(options: AdaptiveBudgetOptions) {
    const {
      initial,
      max = initial,
      shrinkFactor = 0.5,
      growFactor = 1.1,
      growAfter = 4,
      floor = 1,
    } = options;
    requirePositive('initial', initial);
    requirePositive('max', max);
    requirePositive('floor', floor);
    if (!(shrinkFactor > 0 && shrinkFactor < 1)) {
      throw new RangeError(`shrinkFactor must be in (0, 1), got ${shrinkFactor}.`);
    }
    if (!(growFactor > 1)) throw new RangeError(`growFactor must be > 1, got ${growFactor}.`);
    if (!Number.isInteger(growAfter) || growAfter < 1) {
      throw new RangeError(`growAfter must be a positive integer, got ${growAfter}.`);
    }
    this.max = Math.floor(Math.max(max, floor));
    this.budget = Math.min(Math.floor(Math.max(initial, floor)), this.max);
    this.shrinkFactor = shrinkFactor;
    this.growFactor = growFactor;
    this.growAfter = growAfter;
    this.floor = Math.floor(floor);
  }

  /**
   * A budget that starts from the limit learned by an earlier run on the same key, and treats
   * it as a ceiling: growing past a limit that once failed would only fail again (on WebGPU a
   * device loss also costs a session rebuild).
   */
  static async open(options: PersistentBudgetOptions): Promise<AdaptiveBudget> {
    const { store, key, ...rest } = options;
    const loaded = await store.load(key);
    const learned =
      loaded !== undefined && Number.isFinite(loaded) && loaded >= 1 ? loaded : undefined;
    const start = learned === undefined ? rest.initial : Math.min(rest.initial, learned);
    const budget = new AdaptiveBudget({
      ...rest,
      initial: start,
      max: learned === undefined ? rest.max : Math.min(rest.max ?? rest.initial, learned),
    });
    budget.persistence = { store, key, saved: learned };
    return budget;
  }

  get current(): number {
    return this.budget;
  }

  /** Why the last `onFailure` answered 'fatal', when it did. */
  get fatalReason(): string | undefined {
    return this.fatal;
  }

  onSuccess(attempt?: Pick<BudgetAttempt, 'cost'>): void {
    const cost = attempt?.cost ?? this.budget;
    this.maxOk = Math.max(this.maxOk ?? 0, cost);
    this.streak += 1;
    if (this.streak < this.growAfter) return;
    this.streak = 0;
    const ceiling = Math.min(this.max, this.minFail === undefined ? this.max : this.minFail - 1);
    if (this.budget >= ceiling) return;
    const grown = Math.max(this.budget + 1, Math.floor(this.budget * this.growFactor));
    this.budget = Math.min(grown, ceiling);
  }

  /**
   * 'retry' when the error is a resource error and a smaller batch is still possible: the budget
   * drops below the failed cost, to half of it or to the largest cost that already ran if that is
   * more. 'fatal' for any other error, or when even a single item
   * of the failed batch's padded length did not fit.
   */
  onFailure(error: unknown, attempt?: BudgetAttempt): 'retry' | 'fatal' {
    this.streak = 0;
    if (!isResourceError(error)) {
      this.fatal = 'the error is not an out-of-memory, allocation or device-lost error';
      return 'fatal';
    }
    const cost = attempt?.cost ?? this.budget;
    const floor = Math.max(this.floor, attempt?.paddedLength ?? this.floor);
    this.minFail = Math.min(this.minFail ?? cost, cost);
    if (cost <= floor) {
      this.fatal =
        `out of memory on a single item padded to ${attempt?.paddedLength ?? cost} tokens ` +
        `(budget ${this.budget} padded tokens); the model does not fit this device at this ` +
        'length: try WASM instead of WebGPU, a smaller dtype (q8 or fp16) or fewer max tokens';
      return 'fatal';
    }
    // A cost that already ran is a better landing point than blind halving, when it is smaller.
    const provenOk = this.maxOk !== undefined && this.maxOk < cost ? this.maxOk : 0;
    const shrunk = Math.max(provenOk, Math.floor(Math.min(this.budget, cost) * this.shrinkFactor));
    // Never above the old budget: a failure must not raise it, even when the floor is higher.
    this.budget = Math.min(this.budget, Math.max(floor, Math.min(shrunk, cost - 1)));
    this.fatal = undefined;
    return 'retry';
  }

  snapshot(): BudgetSnapshot {
    return { budget: this.budget, maxOk: this.maxOk, minFail: this.minFail };
  }

  /**
   * The budget worth remembering: only once a failure taught us something, and then no more
   * than a cost that is known to have run, so the next run starts without failures.
   */
  learnedBudget(): number | undefined {
    if (this.minFail === undefined) return undefined;
    return Math.max(this.floor, Math.min(this.budget, this.maxOk ?? this.budget));
  }

  /** Saves the learned budget when it changed; a no-op for budgets made without a store. */
  async persist(): Promise<void> {
    const persistence = this.persistence;
    const learned = this.learnedBudget();
    if (persistence === undefined || learned === undefined || learned === persistence.saved) return;
    await persistence.store.save(persistence.key, learned);
    persistence.saved = learned;
  }
}

function requirePositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 1) {
    throw new RangeError(`${name} must be a finite number ≥ 1, got ${value}.`);
  }
}
