import { loadSetMatrix } from '../analyze/stored.ts';
import { docIdOfChunk } from '../store/index.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import { projectVectors, type ProjectOptions } from '../project/index.ts';
import type { AnalysisRecord, LuminaStore } from '../store/index.ts';

export type MapRequest = Omit<ProjectOptions, 'signal' | 'onProgress'>;

export function mapAnalysisId(request: Pick<MapRequest, 'method' | 'dims'>): string {
  return `projection:${request.method}-${request.dims}d`;
}

/**
 * Projects a stored set to 2D or 3D and stores the coordinates (an `analyses` record), so the map
 * reopens without recomputing. Reading takes the first tenth of the progress bar.
 */
export async function mapStoredSet(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  request: MapRequest,
  { signal, onProgress }: { signal?: AbortSignal; onProgress?: ProgressCallback } = {},
): Promise<AnalysisRecord> {
  const reporter = new ProgressReporter(onProgress);
  reporter.start(`Mapping ${setId} with ${request.method.toUpperCase()}`);
  const read = reporter.sub(0, 0.1);
  const matrix = await loadSetMatrix(store, datasetId, setId, {
    ...(signal ? { signal } : {}),
    onProgress: (event) => read(event.fraction, 1, event.message),
  });
  const rows = matrix.ids.length;
  const project = reporter.sub(0.1, 1);
  const coordinates = await projectVectors(
    { data: matrix.vectors, rows, dims: matrix.dims },
    {
      ...request,
      ...(signal ? { signal } : {}),
      onProgress: (event) => project(event.fraction, 1, event.message),
    },
  );
  const record: AnalysisRecord = {
    datasetId,
    setId,
    id: mapAnalysisId(request),
    kind: 'projection',
    createdAt: Date.now(),
    rows,
    dims: request.dims,
    values: coordinates,
    chunkIds: [...matrix.ids],
    params: {
      method: request.method,
      dims: request.dims,
      seed: request.seed ?? null,
      sourceDims: matrix.dims,
    },
  };
  await store.putAnalysis(record);
  reporter.finish(`${rows} points`);
  return record;
}

/** A categorical colouring of map points: a code per row and the name of each code. */
export interface PointCategories {
  codes: Int32Array;
  names: string[];
}

/** Most categories a colouring keeps; the rest share one "other" colour. */
const MAX_CATEGORIES = 24;

/**
 * Colours points by their document's source file or by one of its metadata fields. The most
 * frequent values get their own code; rarer ones share "(other)", missing ones "(none)".
 */
export async function pointCategories(
  store: LuminaStore,
  datasetId: string,
  chunkIds: readonly string[],
  by: { kind: 'source' } | { kind: 'metadata'; field: string },
  signal?: AbortSignal,
): Promise<PointCategories> {
  const valueOfDoc = new Map<string, string>();
  for await (const page of store.iterateDocuments(datasetId, 500, signal)) {
    for (const doc of page) {
      const value = by.kind === 'source' ? doc.source : doc.metadata[by.field];
      valueOfDoc.set(
        doc.id,
        value === undefined || value === null
          ? '(none)'
          : typeof value === 'string'
            ? value
            : JSON.stringify(value),
      );
    }
  }
  const values = chunkIds.map((id) => valueOfDoc.get(docIdOfChunk(id)) ?? '(none)');
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const kept = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_CATEGORIES - 1)
    .map(([value]) => value);
  const names = counts.size > kept.length ? [...kept, '(other)'] : kept;
  const codeOf = new Map(kept.map((value, i) => [value, i]));
  const other = kept.length;
  const codes = Int32Array.from(values, (value) => codeOf.get(value) ?? other);
  return { codes, names };
}
