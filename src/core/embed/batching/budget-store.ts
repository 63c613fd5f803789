/**
 * Where learned token budgets are kept between runs. The app backs this with IndexedDB; tests
 * and the CLI can use `MemoryBudgetStore`.
 */
export interface BudgetStore {
  load(key: string): Promise<number | undefined>;
  save(key: string, budget: number): Promise<void>;
}

/**
 * A budget learned on one device says nothing about another (WASM heap vs GPU memory), nor
 * about another model, so the key names both. Model ids may contain `/` and `:`; JSON keeps the
 * two parts unambiguous.
 */
export function budgetKey(modelId: string, device: string): string {
  return `embed-budget:${JSON.stringify([modelId, device])}`;
}

export class MemoryBudgetStore implements BudgetStore {
  private readonly budgets = new Map<string, number>();

  load(key: string): Promise<number | undefined> {
    return Promise.resolve(this.budgets.get(key));
  }

  save(key: string, budget: number): Promise<void> {
    this.budgets.set(key, budget);
    return Promise.resolve();
  }
}
