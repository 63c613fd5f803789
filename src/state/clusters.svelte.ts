import type { ChooseKResult, ClusterMetric } from '../core/analyze/index.ts';
import type { ChunkView, ClustersView } from '../core/analyze/stored.ts';
import { analyzeClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import type { ExploreState } from './explore.svelte.ts';
import { JobState } from './job.svelte.ts';

/** The Clusters tool: k-means of the chosen set, a k suggestion, labels and examples. */
export class ClustersState {
  k = $state(8);
  seed = $state(0);
  metric = $state<ClusterMetric>('cosine');
  miniBatch = $state(false);
  minK = $state(2);
  maxK = $state(12);

  readonly job = new JobState();
  result = $state.raw<ClustersView | null>(null);
  suggestion = $state.raw<ChooseKResult | null>(null);
  /** Which dataset and set `result` and `suggestion` belong to. */
  private shownFor = '';

  constructor(readonly explore: ExploreState) {}

  private key(): string | null {
    const { datasetId, setId } = this.explore;
    return datasetId && setId ? JSON.stringify([datasetId, setId]) : null;
  }

  /** Shows the saved clusters of the chosen set (or none), once per dataset and set. */
  async restore(): Promise<void> {
    const key = this.key();
    if (key === this.shownFor) return;
    this.shownFor = key ?? '';
    this.result = null;
    this.suggestion = null;
    const { datasetId, setId } = this.explore;
    if (!key || !datasetId) return;
    try {
      const stored = await analyzeClient.call((api) => api.storedClusters(datasetId, setId));
      if (this.key() !== key || this.result) return;
      this.result = stored;
      if (stored) {
        this.k = stored.params.k;
        this.seed = stored.params.seed;
        this.metric = stored.params.metric;
        this.miniBatch = stored.params.miniBatch;
      }
    } catch (error) {
      this.job.error = `Reading saved clusters failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  /** Tries every k in [minK, maxK] and sets k to the one of best silhouette. */
  async suggest(): Promise<void> {
    const { datasetId, setId } = this.explore;
    if (!datasetId || !setId) return;
    const request = { minK: this.minK, maxK: this.maxK, seed: this.seed, metric: this.metric };
    const result = await this.job.run(
      `Trying k = ${this.minK}…${this.maxK}`,
      (signal, onProgress) =>
        analyzeClient.call(
          (api) => api.chooseK(datasetId, setId, request, signal, onProgress),
          signal,
        ),
    );
    if (!result) return;
    this.suggestion = result;
    this.k = result.suggestedK;
  }

  async run(): Promise<void> {
    const { datasetId, setId } = this.explore;
    if (!datasetId || !setId) return;
    const request = { k: this.k, seed: this.seed, metric: this.metric, miniBatch: this.miniBatch };
    const result = await this.job.run(`Clustering into ${this.k}`, (signal, onProgress) =>
      analyzeClient.call(
        (api) => api.clusters(datasetId, setId, request, signal, onProgress),
        signal,
      ),
    );
    if (result) this.result = result;
  }

  async downloadCsv(): Promise<void> {
    const { datasetId, setId } = this.explore;
    if (!datasetId || !setId) return;
    const csv = await analyzeClient.call((api) => api.clustersCsv(datasetId, setId));
    if (csv === null) {
      this.job.error = 'No saved clusters to export: run k-means first.';
      return;
    }
    downloadBlob(csv, `${setId}-clusters.csv`, 'text/csv');
  }

  async open(chunk: ChunkView): Promise<void> {
    await this.explore.library.openDocument(chunk.docId, chunk.index);
  }
}
