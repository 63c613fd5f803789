import { badRequest, notFound } from './errors.ts';
import { FilterError, matchesFilter, validateFilter, type Metadata } from './filter.ts';
import { isBetter, score, type Metric, type SparseValues } from './metrics.ts';

/** Limits from Pinecone's documentation for serverless indexes. */
export const LIMITS = {
  maxVectorsPerUpsert: 1000,
  maxRequestBytes: 2 * 1024 * 1024,
  maxMetadataBytes: 40 * 1024,
  maxIdLength: 512,
  maxTopK: 10_000,
  maxIdsPerFetchOrDelete: 1000,
  maxListLimit: 100,
  maxDimension: 20_000,
} as const;

export interface StoredVector {
  id: string;
  values: number[];
  sparseValues?: SparseValues;
  metadata?: Metadata;
}

type Namespace = Map<string, StoredVector>;

interface PendingWrite {
  visibleAt: number;
  apply: () => void;
}

/** Turns a filter problem into the 400 the service answers. */
export function checkFilter(filter: unknown): void {
  try {
    validateFilter(filter);
  } catch (error) {
    if (error instanceof FilterError) throw badRequest(`Invalid filter: ${error.message}`);
    throw error;
  }
}

/**
 * The records of one index. Writes are queued with the time they become visible, so reads can
 * lag behind writes the way a real, eventually consistent index does; with no lag they apply
 * at once.
 */
export class IndexData {
  private readonly namespaces = new Map<string, Namespace>();
  private pending: PendingWrite[] = [];

  constructor(
    readonly dimension: number,
    readonly metric: Metric,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Queues a write that becomes visible after `lagMs`. A write never overtakes an earlier one,
   * so it waits at least until the previous queued write is visible.
   */
  write(lagMs: number, apply: () => void): void {
    const now = this.now();
    const previous = this.pending[this.pending.length - 1]?.visibleAt ?? now;
    this.pending.push({ visibleAt: Math.max(now + lagMs, previous), apply });
    this.settle(now);
  }

  /** The namespaces as reads see them now. */
  visible(): ReadonlyMap<string, ReadonlyMap<string, StoredVector>> {
    this.settle(this.now());
    return this.namespaces;
  }

  private settle(upTo: number): void {
    while (this.pending.length > 0 && (this.pending[0]?.visibleAt ?? 0) <= upTo) {
      this.pending.shift()?.apply();
    }
  }

  namespace(name: string): Namespace {
    let ns = this.namespaces.get(name);
    if (!ns) {
      ns = new Map();
      this.namespaces.set(name, ns);
    }
    return ns;
  }

  dropEmptyNamespace(name: string): void {
    if (this.namespaces.get(name)?.size === 0) this.namespaces.delete(name);
  }

  checkValues(values: unknown, what: string): number[] {
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && isFinite(v))) {
      throw badRequest(`${what} must be an array of finite numbers`);
    }
    if (values.length !== this.dimension) {
      throw badRequest(
        `Vector dimension ${values.length} does not match the dimension of the index ${this.dimension}`,
      );
    }
    return values as number[];
  }

  /** Nearest records in one namespace, best first. */
  query(
    namespace: string,
    vector: number[],
    sparse: SparseValues | undefined,
    topK: number,
    filter: unknown,
  ): { record: StoredVector; score: number }[] {
    const ns = this.visible().get(namespace);
    if (!ns) return [];
    const scored: { record: StoredVector; score: number }[] = [];
    for (const record of ns.values()) {
      if (filter !== undefined && !matchesFilter(record.metadata, filter)) continue;
      scored.push({
        record,
        score: score(this.metric, vector, record.values, sparse, record.sparseValues),
      });
    }
    scored.sort((a, b) =>
      isBetter(this.metric, a.score, b.score)
        ? -1
        : isBetter(this.metric, b.score, a.score)
          ? 1
          : 0,
    );
    return scored.slice(0, topK);
  }
}

/** Validates metadata the way the service does: flat, typed values, at most 40 KB of JSON. */
export function checkMetadata(metadata: unknown, id: string): Metadata {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw badRequest(`Metadata for vector ${id} must be a JSON object`);
  }
  for (const [key, value] of Object.entries(metadata)) {
    const ok =
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (Array.isArray(value) && value.every((v) => typeof v === 'string'));
    if (!ok) {
      throw badRequest(
        `Metadata value for field "${key}" of vector ${id} must be a string, number, boolean or list of strings`,
      );
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > LIMITS.maxMetadataBytes) {
    throw badRequest(
      `Metadata size is ${bytes} bytes, which exceeds the limit of ${LIMITS.maxMetadataBytes} bytes per vector`,
    );
  }
  return metadata as Metadata;
}

export function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0)
    throw badRequest('Vector id must be a non-empty string');
  if (Buffer.byteLength(id) > LIMITS.maxIdLength) {
    throw badRequest(`Vector id must be at most ${LIMITS.maxIdLength} characters long`);
  }
  return id;
}

export function checkSparse(sparse: unknown): SparseValues | undefined {
  if (sparse === undefined) return undefined;
  const s = sparse as Partial<SparseValues>;
  if (
    !Array.isArray(s.indices) ||
    !Array.isArray(s.values) ||
    s.indices.length !== s.values.length ||
    !s.indices.every((i) => Number.isInteger(i) && i >= 0) ||
    !s.values.every((v) => typeof v === 'number' && isFinite(v))
  ) {
    throw badRequest(
      'sparseValues must have integer indices and numeric values of the same length',
    );
  }
  return { indices: s.indices, values: s.values };
}

export function requireRecord(
  ns: ReadonlyMap<string, StoredVector> | undefined,
  id: string,
): StoredVector {
  const record = ns?.get(id);
  if (!record) throw notFound(`Vector ID ${id} not found`);
  return record;
}
