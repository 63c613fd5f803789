/**
 * Selection bundles: which rows of an embedding set to export (chunk ids, document ids, or the
 * search view's filter), and the manifest's optional `selection` field that says a bundle is such
 * a subset and how it was chosen.
 */

import { documentMatches, type MetadataScalar, type SearchFilter } from '../search/filters.ts';
import { docIdOfChunk } from '../store/index.ts';
import type { Metadata } from '../types.ts';
import {
  at,
  describe,
  fail,
  readInteger,
  readOneOf,
  readRecord,
  readString,
  type Place,
} from './fields.ts';

/** Which rows of a set to export; documents come along when at least one chunk is chosen. */
export type SelectionRequest = (
  | { kind: 'chunks'; chunkIds: readonly string[] }
  | { kind: 'documents'; docIds: readonly string[] }
  | { kind: 'filter'; filter: SearchFilter }
) & {
  /** Says how the rows were picked, e.g. "42 points of the UMAP 2D map"; a default is derived. */
  description?: string;
};

export type SelectionKind = SelectionRequest['kind'];
export const SELECTION_KINDS: readonly SelectionKind[] = ['chunks', 'documents', 'filter'];

/** The filter as the manifest records it: every condition a list, as the filter language reads. */
export interface BundleSelectionFilter {
  sources?: string[];
  docIds?: string[];
  metadata?: Record<string, MetadataScalar[]>;
}

/** manifest.json `selection`: present only in bundles that hold part of an embedding set. */
export interface BundleSelection {
  kind: SelectionKind;
  description: string;
  /** The filter that chose the rows, for kind "filter". */
  filter?: BundleSelectionFilter;
  /** Size of the embedding set the rows were taken from. */
  from: { documents: number; chunks: number };
}

/** Decides row by row what a selection keeps; built once the dataset's documents are known. */
export interface SelectionMatcher {
  keepsChunk(chunkId: string): boolean;
  /** Ids the request named that do not exist (chunks of the set, documents of the dataset). */
  unknown(seenChunks: ReadonlySet<string>): string[];
}

/** Checks a request before anything is read: an empty selection can only give an empty bundle. */
export function checkSelectionRequest(request: SelectionRequest): void {
  if (request.kind === 'chunks' && request.chunkIds.length === 0) {
    throw new Error('Nothing is selected: choose at least one chunk to export.');
  }
  if (request.kind === 'documents' && request.docIds.length === 0) {
    throw new Error('Nothing is selected: choose at least one document to export.');
  }
}

/** The rows a request keeps; `documents` (the dataset's) decide filters and check document ids. */
export function selectionMatcher(
  request: SelectionRequest,
  documents: ReadonlyMap<string, { source: string; metadata: Metadata }>,
): SelectionMatcher {
  if (request.kind === 'chunks') {
    const wanted = new Set(request.chunkIds);
    return {
      keepsChunk: (chunkId) => wanted.has(chunkId),
      unknown: (seenChunks) => [...wanted].filter((id) => !seenChunks.has(id)),
    };
  }
  if (request.kind === 'documents') {
    const wanted = new Set(request.docIds);
    return {
      keepsChunk: (chunkId) => wanted.has(docIdOfChunk(chunkId)),
      unknown: () => [...wanted].filter((id) => !documents.has(id)),
    };
  }
  const matching = new Set<string>();
  for (const [id, doc] of documents) {
    if (documentMatches({ id, ...doc }, request.filter)) matching.add(id);
  }
  return {
    keepsChunk: (chunkId) => matching.has(docIdOfChunk(chunkId)),
    unknown: () => [],
  };
}

/** The manifest's record of a request, once the rows are known. */
export function bundleSelection(
  request: SelectionRequest,
  from: { documents: number; chunks: number },
  kept: { documents: number; chunks: number },
): BundleSelection {
  const filter = request.kind === 'filter' ? selectionFilter(request.filter) : undefined;
  return {
    kind: request.kind,
    description: request.description?.trim() || defaultDescription(request, filter, kept),
    ...(filter ? { filter } : {}),
    from,
  };
}

export function selectionFilter(filter: SearchFilter): BundleSelectionFilter {
  const list = (values: MetadataScalar | readonly MetadataScalar[]): MetadataScalar[] =>
    Array.isArray(values) ? [...(values as readonly MetadataScalar[])] : [values as MetadataScalar];
  return {
    ...(filter.sources ? { sources: [...filter.sources] } : {}),
    ...(filter.docIds ? { docIds: [...filter.docIds] } : {}),
    ...(filter.metadata && Object.keys(filter.metadata).length
      ? {
          metadata: Object.fromEntries(
            Object.entries(filter.metadata).map(([key, values]) => [key, list(values)]),
          ),
        }
      : {}),
  };
}

/** "source in a.txt, b.txt; split = train": the filter in the words of the search view. */
export function describeFilter(filter: BundleSelectionFilter): string {
  const parts: string[] = [];
  if (filter.sources) parts.push(`source in ${filter.sources.join(', ')}`);
  if (filter.docIds) parts.push(`document in ${filter.docIds.join(', ')}`);
  for (const [key, values] of Object.entries(filter.metadata ?? {})) {
    parts.push(`${key} = ${values.map((v) => String(v)).join(' or ')}`);
  }
  return parts.length ? parts.join('; ') : 'no conditions';
}

function defaultDescription(
  request: SelectionRequest,
  filter: BundleSelectionFilter | undefined,
  kept: { documents: number; chunks: number },
): string {
  if (filter) return `Documents where ${describeFilter(filter)}`;
  return request.kind === 'chunks'
    ? `${kept.chunks} selected chunks`
    : `${kept.documents} selected documents`;
}

/** Reads an optional manifest `selection`; absent in bundles of a whole set. */
export function readSelection(value: unknown, place: Place): BundleSelection | undefined {
  if (value === undefined) return undefined;
  const selection = readRecord(value, place);
  const kind = readOneOf(selection.kind, SELECTION_KINDS, at(place, 'kind'));
  const from = readRecord(selection.from, at(place, 'from'));
  const filter =
    selection.filter === undefined ? undefined : readFilter(selection.filter, at(place, 'filter'));
  if (kind === 'filter' && !filter) fail(at(place, 'filter'), 'is required for kind "filter"');
  return {
    kind,
    description: readString(selection.description, at(place, 'description'), true),
    ...(filter ? { filter } : {}),
    from: {
      documents: readInteger(from.documents, at(at(place, 'from'), 'documents')),
      chunks: readInteger(from.chunks, at(at(place, 'from'), 'chunks')),
    },
  };
}

function readFilter(value: unknown, place: Place): BundleSelectionFilter {
  const filter = readRecord(value, place);
  const strings = (list: unknown, where: Place): string[] => {
    if (!Array.isArray(list)) fail(where, `must be an array (got ${describe(list)})`);
    return list.map((item: unknown, i) => readString(item, at(where, i)));
  };
  const out: BundleSelectionFilter = {};
  if (filter.sources !== undefined) out.sources = strings(filter.sources, at(place, 'sources'));
  if (filter.docIds !== undefined) out.docIds = strings(filter.docIds, at(place, 'docIds'));
  if (filter.metadata !== undefined) {
    const metadata = readRecord(filter.metadata, at(place, 'metadata'));
    out.metadata = {};
    for (const [key, list] of Object.entries(metadata)) {
      const where = at(at(place, 'metadata'), key);
      if (!Array.isArray(list)) fail(where, `must be an array (got ${describe(list)})`);
      out.metadata[key] = list.map((item: unknown, i): MetadataScalar => {
        if (typeof item === 'string' || typeof item === 'boolean') return item;
        if (typeof item === 'number' && Number.isFinite(item)) return item;
        return fail(at(where, i), `must be a string, number or boolean (got ${describe(item)})`);
      });
    }
  }
  return out;
}
