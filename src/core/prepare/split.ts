/**
 * Train/validation/test assignment. Each text draws a random key from a PRNG seeded with the
 * seed and its own id; texts sorted by key are cut by the ratios. The same ids and seed always
 * give the same assignment, and a text keeps its split when unrelated texts come and go (only
 * texts next to a cut point can move).
 */
import type { SplitName } from '../types.ts';
import type { SplitRatios } from './options.ts';

/** FNV-1a over UTF-16 code units. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a tiny, well-mixed 32-bit PRNG. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Split sizes for n texts: largest remainders, so they always add up to n. */
export function splitSizes(n: number, ratios: SplitRatios): Record<SplitName, number> {
  const names: SplitName[] = ['train', 'validation', 'test'];
  const exact = names.map((name) => n * ratios[name]);
  const sizes = exact.map(Math.floor);
  const order = names
    .map((_name, i) => i)
    .sort((a, b) => (exact[b] ?? 0) - (sizes[b] ?? 0) - ((exact[a] ?? 0) - (sizes[a] ?? 0)));
  for (let left = n - sizes.reduce((a, b) => a + b, 0), k = 0; left > 0; left--, k++) {
    const i = order[k % order.length] ?? 0;
    sizes[i] = (sizes[i] ?? 0) + 1;
  }
  return { train: sizes[0] ?? 0, validation: sizes[1] ?? 0, test: sizes[2] ?? 0 };
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function assignSplits(ids: readonly string[], ratios: SplitRatios): SplitName[] {
  const seed = Math.trunc(ratios.seed);
  const keys = ids.map((id) => mulberry32(hash32(id) ^ Math.imul(seed, 0x9e3779b1))());
  const order = ids
    .map((_id, i) => i)
    .sort(
      (a, b) => (keys[a] ?? 0) - (keys[b] ?? 0) || compareIds(ids[a] ?? '', ids[b] ?? '') || a - b,
    );
  const sizes = splitSizes(ids.length, ratios);
  const result: SplitName[] = new Array<SplitName>(ids.length).fill('test');
  order.forEach((i, rank) => {
    result[i] =
      rank < sizes.train ? 'train' : rank < sizes.train + sizes.validation ? 'validation' : 'test';
  });
  return result;
}
