import { SeededRandom } from '../../model/seeded-random.ts';

/**
 * The order the training sequences are visited in during `epoch`: a Fisher–Yates shuffle from a
 * stream of its own per epoch, so any epoch's order is known from (seed, epoch) alone and a
 * resumed run needs to store no generator state.
 */
export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const random = new SeededRandom(seed, `shuffle/${epoch}`);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random.nextFloat() * (i + 1));
    const swap = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = swap;
  }
  return order;
}
