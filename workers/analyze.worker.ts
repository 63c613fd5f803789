import * as Comlink from 'comlink';
import '../src/lib/comlink-abort.ts';
import type {
  ChooseKResult,
  ClusterMetric,
  InterpolationMethod,
} from '../src/core/analyze/index.ts';
import {
  chooseStoredK,
  CLUSTERS_ANALYSIS_ID,
  clustersToCsv,
  clustersView,
  runStoredClusters,
  storedChunk,
  storedDuplicates,
  storedPath,
  type ChunkView,
  type ClustersView,
  type DuplicatesView,
  type PathStepView,
} from '../src/core/analyze/stored.ts';
import type { ProgressCallback } from '../src/core/progress.ts';
import { openStore, type LuminaStore } from '../src/core/store/index.ts';

let storePromise: Promise<LuminaStore> | null = null;
const store = (): Promise<LuminaStore> => (storePromise ??= openStore());

export interface ClustersRequest {
  k: number;
  seed?: number;
  metric?: ClusterMetric;
  miniBatch?: boolean;
}

export interface ChooseKRequest {
  minK?: number;
  maxK?: number;
  seed?: number;
  metric?: ClusterMetric;
}

export interface DuplicatesRequest {
  threshold: number;
  /** Pairs and groups joined with their texts; all of them are returned for export. */
  displayLimit?: number;
}

export interface PathRequest {
  steps?: number;
  k?: number;
  method?: InterpolationMethod;
  dedupe?: boolean;
}

const api = {
  /** k-means of the whole set, labelled and saved as its `clusters:kmeans` analysis. */
  async clusters(
    datasetId: string,
    setId: string,
    request: ClustersRequest,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<ClustersView> {
    const s = await store();
    const record = await runStoredClusters(s, datasetId, setId, request, { signal, onProgress });
    return clustersView(s, record, signal);
  },

  /** Inertia and silhouette for each k in [minK, maxK], with the suggested k. */
  async chooseK(
    datasetId: string,
    setId: string,
    request: ChooseKRequest,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<ChooseKResult> {
    return chooseStoredK(await store(), datasetId, setId, request, { signal, onProgress });
  },

  /** The saved clusters of a set, or null when it has none. */
  async storedClusters(datasetId: string, setId: string): Promise<ClustersView | null> {
    const s = await store();
    const record = await s.getAnalysis(datasetId, setId, CLUSTERS_ANALYSIS_ID);
    return record ? clustersView(s, record) : null;
  },

  /** The saved clusters as CSV (chunk_id, doc_id, cluster, label), or null. */
  async clustersCsv(datasetId: string, setId: string): Promise<string | null> {
    const record = await (await store()).getAnalysis(datasetId, setId, CLUSTERS_ANALYSIS_ID);
    return record ? clustersToCsv(record) : null;
  },

  /** Every pair at cosine ≥ threshold and their groups; the first few with chunk texts. */
  async duplicates(
    datasetId: string,
    setId: string,
    request: DuplicatesRequest,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<DuplicatesView> {
    return storedDuplicates(await store(), datasetId, setId, request, { signal, onProgress });
  },

  /** Nearest chunks at each step of the path between two embeddings. */
  async path(
    datasetId: string,
    setId: string,
    from: Float32Array,
    to: Float32Array,
    request: PathRequest,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<PathStepView[]> {
    return storedPath(await store(), datasetId, setId, from, to, request, { signal, onProgress });
  },

  /** One chunk with its document, to fill a text from a chunk id. */
  async chunk(datasetId: string, chunkId: string): Promise<ChunkView | null> {
    return storedChunk(await store(), datasetId, chunkId);
  },
};

export type AnalyzeApi = typeof api;
Comlink.expose(api);
