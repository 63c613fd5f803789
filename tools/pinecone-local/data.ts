import { badRequest } from './errors.ts';
import { matchesFilter, type Metadata } from './filter.ts';
import {
  LIMITS,
  checkFilter,
  checkId,
  checkMetadata,
  checkSparse,
  requireRecord,
  type IndexData,
  type StoredVector,
} from './store.ts';

/** Data-plane operations on one index, taking and returning the spec's JSON shapes. */

type Body = Record<string, unknown>;

function asBody(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('Request body must be a JSON object');
  }
  return body as Body;
}

function namespaceOf(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw badRequest('namespace must be a string');
  return value;
}

function optionalFilter(value: unknown): unknown {
  if (value === undefined) return undefined;
  checkFilter(value);
  // An empty filter selects everything, as the service treats it.
  return Object.keys(value as object).length === 0 ? undefined : value;
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw badRequest(`${name} must be a boolean`);
  return value;
}

function vectorJson(record: StoredVector, withValues = true, withMetadata = true): Body {
  return {
    id: record.id,
    ...(withValues ? { values: record.values } : { values: [] }),
    ...(withValues && record.sparseValues ? { sparseValues: record.sparseValues } : {}),
    ...(withMetadata && record.metadata ? { metadata: record.metadata } : {}),
  };
}

export function upsert(index: IndexData, rawBody: unknown, lagMs: number): Body {
  const body = asBody(rawBody);
  const { vectors } = body;
  if (!Array.isArray(vectors)) throw badRequest('vectors must be an array');
  if (vectors.length === 0) throw badRequest('vectors must contain at least one vector');
  if (vectors.length > LIMITS.maxVectorsPerUpsert) {
    throw badRequest(
      `Vector count ${vectors.length} exceeds the limit of ${LIMITS.maxVectorsPerUpsert} vectors per upsert request`,
    );
  }
  const namespace = namespaceOf(body.namespace);
  const records = vectors.map((raw): StoredVector => {
    const v = asBody(raw);
    const id = checkId(v.id);
    const values = index.checkValues(v.values, `values of vector ${id}`);
    const sparseValues = checkSparse(v.sparseValues);
    const metadata = v.metadata === undefined ? undefined : checkMetadata(v.metadata, id);
    return {
      id,
      values,
      ...(sparseValues ? { sparseValues } : {}),
      ...(metadata ? { metadata } : {}),
    };
  });
  index.write(lagMs, () => {
    const ns = index.namespace(namespace);
    for (const record of records) ns.set(record.id, record);
  });
  return { upsertedCount: records.length };
}

export function query(index: IndexData, rawBody: unknown): Body {
  const body = asBody(rawBody);
  const { topK } = body;
  if (topK === undefined) throw badRequest('topK is required');
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > LIMITS.maxTopK) {
    throw badRequest(`topK must be an integer between 1 and ${LIMITS.maxTopK}`);
  }
  if (body.queries !== undefined) throw badRequest('queries is deprecated; use vector or id');
  const namespace = namespaceOf(body.namespace);
  const filter = optionalFilter(body.filter);
  const includeValues = flag(body.includeValues, 'includeValues');
  const includeMetadata = flag(body.includeMetadata, 'includeMetadata');
  const hasVector = body.vector !== undefined;
  const hasId = body.id !== undefined;
  if (hasVector === hasId && body.sparseVector === undefined) {
    throw badRequest('Exactly one of vector or id must be provided');
  }
  if (hasVector && hasId) throw badRequest('Exactly one of vector or id must be provided');
  let vector: number[];
  let sparse = checkSparse(body.sparseVector);
  if (hasId) {
    const stored = index.visible().get(namespace)?.get(checkId(body.id));
    if (!stored) return { matches: [], namespace, usage: { readUnits: 1 } };
    vector = stored.values;
    sparse = stored.sparseValues;
  } else if (hasVector) {
    vector = index.checkValues(body.vector, 'vector');
  } else {
    vector = new Array<number>(index.dimension).fill(0);
  }
  const matches = index.query(namespace, vector, sparse, topK, filter).map(({ record, score }) => ({
    ...vectorJson(record, includeValues, includeMetadata),
    score,
  }));
  return { matches, namespace, usage: { readUnits: Math.max(1, Math.ceil(matches.length / 10)) } };
}

export function fetch(index: IndexData, params: URLSearchParams): Body {
  const ids = params.getAll('ids');
  if (ids.length === 0) throw badRequest('ids must contain at least one id');
  if (ids.length > LIMITS.maxIdsPerFetchOrDelete) {
    throw badRequest(`ids must contain at most ${LIMITS.maxIdsPerFetchOrDelete} ids`);
  }
  const namespace = params.get('namespace') ?? '';
  const ns = index.visible().get(namespace);
  const vectors: Record<string, Body> = {};
  for (const id of ids) {
    const record = ns?.get(id);
    if (record) vectors[id] = vectorJson(record);
  }
  return { vectors, namespace, usage: { readUnits: 1 } };
}

function decodeToken(token: string): string {
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (!decoded.startsWith('after:')) throw badRequest('Invalid pagination token');
  return decoded.slice('after:'.length);
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function list(index: IndexData, params: URLSearchParams): Body {
  const prefix = params.get('prefix') ?? '';
  const namespace = params.get('namespace') ?? '';
  const rawLimit = params.get('limit');
  const limit = rawLimit === null ? LIMITS.maxListLimit : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.maxListLimit) {
    throw badRequest(`limit must be an integer between 1 and ${LIMITS.maxListLimit}`);
  }
  const token = params.get('paginationToken');
  const after = token ? decodeToken(token) : null;
  const ids = [...(index.visible().get(namespace)?.keys() ?? [])]
    .filter((id) => id.startsWith(prefix) && (after === null || byteOrder(id, after) > 0))
    .sort(byteOrder);
  const page = ids.slice(0, limit);
  const last = page[page.length - 1];
  return {
    vectors: page.map((id) => ({ id })),
    ...(ids.length > limit && last !== undefined
      ? { pagination: { next: Buffer.from(`after:${last}`).toString('base64url') } }
      : {}),
    namespace,
    usage: { readUnits: 1 },
  };
}

export function deleteVectors(index: IndexData, rawBody: unknown, lagMs: number): Body {
  const body = asBody(rawBody);
  const namespace = namespaceOf(body.namespace);
  const deleteAll = flag(body.deleteAll, 'deleteAll');
  const ids = body.ids;
  const filter = body.filter === undefined ? undefined : (checkFilter(body.filter), body.filter);
  const modes = [ids !== undefined, deleteAll, filter !== undefined].filter(Boolean).length;
  if (modes !== 1) throw badRequest('Exactly one of ids, deleteAll or filter must be provided');
  if (ids !== undefined) {
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
      throw badRequest('ids must be an array of strings');
    }
    if (ids.length > LIMITS.maxIdsPerFetchOrDelete) {
      throw badRequest(`ids must contain at most ${LIMITS.maxIdsPerFetchOrDelete} ids`);
    }
  }
  index.write(lagMs, () => {
    const ns = index.namespace(namespace);
    if (deleteAll) ns.clear();
    else if (filter !== undefined) {
      for (const [id, record] of ns) if (matchesFilter(record.metadata, filter)) ns.delete(id);
    } else for (const id of ids as string[]) ns.delete(id);
    index.dropEmptyNamespace(namespace);
  });
  return {};
}

export function update(index: IndexData, rawBody: unknown, lagMs: number): Body {
  const body = asBody(rawBody);
  const namespace = namespaceOf(body.namespace);
  const setMetadata =
    body.setMetadata === undefined ? undefined : checkMetadata(body.setMetadata, 'update');
  if (body.filter !== undefined) {
    if (body.id !== undefined) throw badRequest('Provide either id or filter, not both');
    checkFilter(body.filter);
    if (body.values !== undefined || body.sparseValues !== undefined) {
      throw badRequest('Updating by filter can change metadata only');
    }
    const filter = body.filter;
    const matched = [...(index.visible().get(namespace)?.values() ?? [])].filter((r) =>
      matchesFilter(r.metadata, filter),
    ).length;
    if (!flag(body.dryRun, 'dryRun') && setMetadata) {
      index.write(lagMs, () => {
        for (const record of index.namespace(namespace).values()) {
          if (matchesFilter(record.metadata, filter)) mergeMetadata(record, setMetadata);
        }
        index.dropEmptyNamespace(namespace);
      });
    }
    return { matchedRecords: matched };
  }
  const id = checkId(body.id);
  const values = body.values === undefined ? undefined : index.checkValues(body.values, 'values');
  const sparseValues = checkSparse(body.sparseValues);
  requireRecord(index.visible().get(namespace), id);
  index.write(lagMs, () => {
    const record = index.namespace(namespace).get(id);
    if (!record) return;
    if (values) record.values = values;
    if (sparseValues) record.sparseValues = sparseValues;
    if (setMetadata) mergeMetadata(record, setMetadata);
  });
  return {};
}

function mergeMetadata(record: StoredVector, patch: Metadata): void {
  record.metadata = { ...record.metadata, ...patch };
}

export function describeStats(index: IndexData, rawBody: unknown): Body {
  const body = rawBody === undefined ? {} : asBody(rawBody);
  if (body.filter !== undefined) {
    throw badRequest(
      'Serverless and starter indexes do not support describing index stats with metadata filtering.',
    );
  }
  const namespaces: Record<string, { vectorCount: number }> = {};
  let total = 0;
  for (const [name, ns] of index.visible()) {
    if (ns.size === 0) continue;
    namespaces[name] = { vectorCount: ns.size };
    total += ns.size;
  }
  return {
    namespaces,
    dimension: index.dimension,
    indexFullness: 0,
    totalVectorCount: total,
    metric: index.metric,
    vectorType: 'dense',
  };
}
