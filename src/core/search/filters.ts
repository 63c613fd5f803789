import { throwIfAborted } from '../abort.ts';
import type { JsonValue } from '../types.ts';
import type { DocumentRecord, LuminaStore } from '../store/index.ts';
import type { RowMask } from './scan.ts';
import type { VectorIndex } from './vector-index.ts';
import { docIdOfChunk } from '../store/index.ts';

export type MetadataScalar = string | number | boolean;

/**
 * Which chunks a search may return, by their document. All given conditions must hold; a list
 * means any of its values. Metadata values compare with `===` (no type coercion).
 */
export interface SearchFilter {
  sources?: readonly string[];
  docIds?: readonly string[];
  metadata?: Readonly<Record<string, MetadataScalar | readonly MetadataScalar[]>>;
}

export function isEmptyFilter(filter: SearchFilter | undefined): boolean {
  return (
    !filter ||
    (!filter.sources && !filter.docIds && Object.keys(filter.metadata ?? {}).length === 0)
  );
}

/** A stable key for a filter, so equal filters share one cached row mask. */
export function filterKey(filter: SearchFilter): string {
  const sorted = (values: readonly MetadataScalar[]) =>
    [...values].map((v) => JSON.stringify(v)).sort();
  return JSON.stringify({
    sources: filter.sources ? sorted(filter.sources) : null,
    docIds: filter.docIds ? sorted(filter.docIds) : null,
    metadata: Object.entries(filter.metadata ?? {})
      .map(([key, value]) => [key, sorted(Array.isArray(value) ? value : [value])] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  });
}

function valueMatches(
  value: JsonValue | undefined,
  wanted: MetadataScalar | readonly MetadataScalar[],
): boolean {
  const options: readonly MetadataScalar[] = Array.isArray(wanted)
    ? wanted
    : [wanted as MetadataScalar];
  return options.some((option) => option === value);
}

/** Whether one document passes the filter. */
export function documentMatches(
  doc: Pick<DocumentRecord, 'id' | 'source' | 'metadata'>,
  filter: SearchFilter,
): boolean {
  if (filter.sources && !filter.sources.includes(doc.source)) return false;
  if (filter.docIds && !filter.docIds.includes(doc.id)) return false;
  for (const [key, wanted] of Object.entries(filter.metadata ?? {})) {
    if (!valueMatches(doc.metadata[key], wanted)) return false;
  }
  return true;
}

/** One byte per row of `index`: 1 where the row's document is in `allowedDocs`. */
export function rowMaskForDocuments(index: VectorIndex, allowedDocs: ReadonlySet<string>): RowMask {
  const mask = new Uint8Array(index.size);
  index.chunkIds.forEach((id, row) => {
    if (allowedDocs.has(docIdOfChunk(id))) mask[row] = 1;
  });
  return mask;
}

/** Reads the dataset's documents once and returns the ids of those passing the filter. */
export async function matchingDocuments(
  store: LuminaStore,
  datasetId: string,
  filter: SearchFilter,
  signal?: AbortSignal,
): Promise<Set<string>> {
  const allowed = new Set<string>();
  for await (const page of store.iterateDocuments(datasetId, 500, signal)) {
    throwIfAborted(signal);
    for (const doc of page) if (documentMatches(doc, filter)) allowed.add(doc.id);
  }
  return allowed;
}

/**
 * The row mask of `filter` over `index`, resolved against the store once per (index, filter) and
 * then kept on the index (an index is rebuilt when its set changes, which drops its masks).
 * Documents whose metadata is edited later keep the old verdict until the set is invalidated.
 */
export async function filterMask(
  store: LuminaStore,
  datasetId: string,
  index: VectorIndex,
  filter: SearchFilter | undefined,
  signal?: AbortSignal,
): Promise<RowMask | null> {
  if (!filter || isEmptyFilter(filter)) return null;
  const key = filterKey(filter);
  const cached = index.masks.get(key);
  if (cached) return cached;
  const mask = rowMaskForDocuments(
    index,
    await matchingDocuments(store, datasetId, filter, signal),
  );
  index.masks.set(key, mask);
  return mask;
}
