import * as Comlink from 'comlink';
import '../src/lib/comlink-abort.ts';
import type { ProgressCallback } from '../src/core/progress.ts';
import {
  mapStoredSet,
  pointCategories,
  type MapRequest,
  type PointCategories,
} from '../src/core/maps/index.ts';
import { projectVectors, type ProjectOptions } from '../src/core/project/index.ts';
import { openStore, type AnalysisRecord, type LuminaStore } from '../src/core/store/index.ts';

let storePromise: Promise<LuminaStore> | null = null;
const store = (): Promise<LuminaStore> => (storePromise ??= openStore());

export type ProjectRequest = Omit<ProjectOptions, 'signal' | 'onProgress'>;

const api = {
  /**
   * Map coordinates (`[rows × request.dims]`, row-major) of `rows × dims` vectors by PCA, UMAP
   * or t-SNE. The result's buffer is transferred, not copied.
   */
  async project(
    data: Float32Array,
    rows: number,
    dims: number,
    request: ProjectRequest,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<Float32Array> {
    const coordinates = await projectVectors(
      { data, rows, dims },
      { ...request, signal, onProgress },
    );
    return Comlink.transfer(coordinates, [coordinates.buffer]);
  },

  /**
   * Maps a stored embedding set (read from IndexedDB here, never through the page) and stores
   * the coordinates as an analysis record, which it returns.
   */
  async mapSet(
    datasetId: string,
    setId: string,
    request: MapRequest,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<AnalysisRecord> {
    const record = await mapStoredSet(await store(), datasetId, setId, request, {
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return Comlink.transfer(record, [record.values.buffer]);
  },

  /** Colours for map points: their document's source or one of its metadata fields. */
  async categories(
    datasetId: string,
    chunkIds: string[],
    by: { kind: 'source' } | { kind: 'metadata'; field: string },
    signal?: AbortSignal,
  ): Promise<PointCategories> {
    return pointCategories(await store(), datasetId, chunkIds, by, signal);
  },
};

export type ProjectApi = typeof api;
Comlink.expose(api);
