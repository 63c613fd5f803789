import { jsonBytes, PINECONE_LIMITS } from './limits.ts';
import type { PineconeMetadata } from './records.ts';

export interface UpsertRecord {
  id: string;
  values: number[];
  metadata: PineconeMetadata;
}

export interface BatchLimits {
  maxVectors: number;
  maxBytes: number;
}

export const UPSERT_LIMITS: BatchLimits = {
  maxVectors: PINECONE_LIMITS.maxVectorsPerUpsert,
  maxBytes: PINECONE_LIMITS.maxRequestBytes,
};

/** The upsert request body as the client sends it. */
export function upsertBody(records: readonly UpsertRecord[], namespace: string): unknown {
  return { vectors: records, namespace };
}

export class RecordTooLargeError extends Error {
  override readonly name = 'RecordTooLargeError';
}

/**
 * Splits records into upsert requests of at most `maxVectors` records and `maxBytes` of JSON
 * body each. Sizes add up exactly: the body is `{"vectors":[r1,r2,…],"namespace":"…"}`.
 * A record that cannot fit a request even alone is reported through `onTooLarge` and left out.
 */
export function splitUpserts(
  records: readonly UpsertRecord[],
  namespace: string,
  limits: BatchLimits = UPSERT_LIMITS,
  onTooLarge?: (record: UpsertRecord, bytes: number) => void,
): UpsertRecord[][] {
  const overhead = jsonBytes(upsertBody([], namespace));
  const batches: UpsertRecord[][] = [];
  let current: UpsertRecord[] = [];
  let bytes = overhead;
  for (const record of records) {
    const size = jsonBytes(record);
    if (overhead + size > limits.maxBytes) {
      if (onTooLarge) onTooLarge(record, overhead + size);
      else {
        throw new RecordTooLargeError(
          `Vector ${record.id} needs a ${overhead + size}-byte request, over the ${limits.maxBytes}-byte limit.`,
        );
      }
      continue;
    }
    const added = size + (current.length > 0 ? 1 : 0);
    if (current.length >= limits.maxVectors || bytes + added > limits.maxBytes) {
      batches.push(current);
      current = [];
      bytes = overhead;
    }
    bytes += size + (current.length > 0 ? 1 : 0);
    current.push(record);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Consecutive slices of at most `size` items. */
export function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
