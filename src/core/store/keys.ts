import { keyRanges, type IdbKeyRange } from './platform.ts';

/**
 * Key ranges over compound keys. Every store that belongs to a dataset is keyed
 * `[datasetId, …]`, so a dataset's records are one contiguous range: reads page through it and
 * deletes drop it whole, without scanning other datasets.
 */

type KeyPart = string | number;

/** An array sorts after every string, number and date, so `[...prefix, []]` caps the prefix. */
function prefixEnd(prefix: readonly KeyPart[]): (KeyPart | never[])[] {
  return [...prefix, []];
}

/** Every key that starts with `prefix`. */
export function prefixRange(...prefix: KeyPart[]): IdbKeyRange {
  return keyRanges().bound(prefix, prefixEnd(prefix));
}

/** The keys that start with `prefix` and sort after `lastKey`: the next page of a listing. */
export function prefixRangeAfter(
  prefix: readonly KeyPart[],
  lastKey: readonly KeyPart[],
): IdbKeyRange {
  return keyRanges().bound(lastKey, prefixEnd(prefix), true);
}
