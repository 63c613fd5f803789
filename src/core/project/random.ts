import { mulberry32 } from '../prepare/split.ts';

export type Random = () => number;

/** A seeded uniform [0, 1) generator; every random choice in projections goes through one. */
export function seededRandom(seed: number): Random {
  return mulberry32(seed);
}

/** A standard normal deviate (Box–Muller). */
export function gaussian(random: Random): number {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
