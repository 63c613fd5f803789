import { SeededRandom } from '../../model/seeded-random.ts';

export interface ValidationSplitOptions {
  /** Share of the examples held out, in (0, 1); or give `count`. */
  fraction?: number;
  /** Number of examples held out. */
  count?: number;
  seed: number;
}

export interface TrainValidation<T> {
  train: T[];
  validation: T[];
}

/**
 * A seeded random hold-out: the same seed and data always give the same split, on any engine.
 * (For an explicit split, read the validation file separately.) Both parts keep file order.
 */
export function splitValidation<T>(
  examples: readonly T[],
  { fraction, count, seed }: ValidationSplitOptions,
): TrainValidation<T> {
  let held: number;
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 0 || count >= examples.length) {
      throw new RangeError(
        `Validation count must be an integer in [0, ${examples.length}), got ${count}`,
      );
    }
    held = count;
  } else {
    if (fraction === undefined || !(fraction > 0 && fraction < 1)) {
      throw new RangeError(`Validation fraction must be in (0, 1), got ${fraction}`);
    }
    held = Math.round(examples.length * fraction);
  }
  const order = examples.map((_, i) => i);
  const random = new SeededRandom(seed, 'finetune-validation-split');
  // Fisher–Yates; only the first `held` positions are needed.
  for (let i = 0; i < held; i++) {
    const j = i + (random.nextUint32() % (order.length - i));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const chosen = new Set(order.slice(0, held));
  return {
    train: examples.filter((_, i) => !chosen.has(i)),
    validation: examples.filter((_, i) => chosen.has(i)),
  };
}
