import type { StoreKey, StoreValue } from 'idb';
import { throwIfAborted } from '../abort.ts';
import { prefixRange, prefixRangeAfter } from './keys.ts';
import type { LuminaDatabase, LuminaSchema } from './schema.ts';

type PagedStore = 'documents' | 'chunks' | 'embeddingBlocks';

/**
 * Yields the records under a key prefix in key order, `batchSize` at a time. Each page is its own
 * short read transaction and the next starts after the last key seen, so the caller may do any
 * slow work between pages and records written meanwhile after that key are still picked up.
 */
export async function* pageByPrefix<Name extends PagedStore>(
  db: LuminaDatabase,
  storeName: Name,
  prefix: string[],
  keyOf: (record: StoreValue<LuminaSchema, Name>) => StoreKey<LuminaSchema, Name>,
  batchSize: number,
  signal?: AbortSignal,
): AsyncGenerator<StoreValue<LuminaSchema, Name>[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`Batch size must be a positive integer, got ${batchSize}.`);
  }
  let range = prefixRange(...prefix);
  for (;;) {
    throwIfAborted(signal);
    const page = await db.getAll(storeName, range, batchSize);
    const last = page.at(-1);
    if (!last) return;
    yield page;
    if (page.length < batchSize) return;
    range = prefixRangeAfter(prefix, keyOf(last));
  }
}
