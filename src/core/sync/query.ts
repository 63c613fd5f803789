import type { FetchLike } from './pinecone-target.ts';
import { resolveTarget, type SyncConfig } from './config.ts';
import { PineconeSyncError } from './errors.ts';
import { PineconeTarget, type QueryMatch } from './pinecone-target.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';

export interface QueryOptions {
  /** Namespace to search; defaults to the dataset's (see `defaultNamespace`). */
  datasetId?: string;
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  fetch?: FetchLike;
}

const MAX_TOP_K = 10_000;

/**
 * Nearest vectors in the config's namespace (or the dataset's default one), best first, with
 * their metadata. `filter` is Pinecone's metadata filter ($eq, $in, $and, …).
 */
export async function queryPinecone(
  config: SyncConfig,
  vector: ArrayLike<number>,
  topK: number,
  filter?: object,
  options: QueryOptions = {},
): Promise<QueryMatch[]> {
  if (!Number.isInteger(topK) || topK < 1 || topK > MAX_TOP_K) {
    throw new PineconeSyncError(`topK must be an integer from 1 to ${MAX_TOP_K}.`, 'config');
  }
  const values = Array.from(vector);
  if (!values.every(Number.isFinite)) {
    throw new PineconeSyncError('The query vector holds a NaN or infinite value.', 'data');
  }
  if (config.namespace === undefined && options.datasetId === undefined) {
    throw new PineconeSyncError('Say which namespace (or dataset) to query.', 'config');
  }
  const target = resolveTarget(config, options.datasetId ?? '');
  const pinecone = new PineconeTarget(config, {
    retry: { ...DEFAULT_RETRY, ...options.retry },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return pinecone.query(target.namespace, values, topK, filter, options.signal);
}
