import * as Comlink from 'comlink';
import type { MapRequest, PointCategories } from '../core/maps/index.ts';
import { mapAnalysisId } from '../core/maps/index.ts';
import type { Progress } from '../core/progress.ts';
import type { ProjectionDims, ProjectionMethod } from '../core/project/index.ts';
import type { DatasetHit } from '../core/search/index.ts';
import { lookupChunks } from '../core/search/index.ts';
import type { AnalysisRecord } from '../core/store/index.ts';
import { indexClient, projectClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import type { ExploreState } from './explore.svelte.ts';
import { pageStore } from './library.svelte.ts';
import { downloadSelectionBundle } from './selection-bundle.ts';

export type ColorBy = 'cluster' | 'source' | 'metadata' | 'none';

export interface MapView {
  record: AnalysisRecord;
  categories: PointCategories;
}

/** One selected point, as exported. */
export interface SelectedRow {
  row: number;
  chunkId: string;
  coordinates: number[];
}

const NEIGHBOURS = 10;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Points in one colour: every point the same, named after the set. */
function singleCategory(rows: number, name: string): PointCategories {
  return { codes: new Int32Array(rows), names: [name] };
}

/**
 * The Map tool: PCA, UMAP or t-SNE of the chosen set in the project worker, stored so it reopens
 * instantly; colours by cluster, source or a metadata field; hover, neighbours and selection.
 */
export class MapState {
  method = $state<ProjectionMethod>('umap');
  dims = $state<ProjectionDims>(2);
  seed = $state(42);
  colorBy = $state<ColorBy>('source');
  metadataField = $state('');

  view = $state.raw<MapView | null>(null);
  /** Maps stored for this set, by analysis id, so the method picker can say which are ready. */
  stored = $state<string[]>([]);
  running = $state(false);
  fraction = $state(0);
  status = $state('');
  error = $state<string | null>(null);

  neighboursOf = $state<string | null>(null);
  neighbours = $state.raw<DatasetHit[]>([]);
  selection = $state.raw<SelectedRow[]>([]);
  /** Progress of "Export selection as bundle" while it runs, else null. */
  bundleFraction = $state<number | null>(null);
  bundleNotice = $state<string | null>(null);

  private controller: AbortController | null = null;

  constructor(readonly explore: ExploreState) {}

  get analysisId(): string {
    return mapAnalysisId({ method: this.method, dims: this.dims });
  }

  /** Shows the stored map for the chosen method and dims, if there is one; never computes. */
  async open(): Promise<void> {
    const datasetId = this.explore.datasetId;
    const setId = this.explore.setId;
    this.view = null;
    this.selection = [];
    this.neighbours = [];
    this.neighboursOf = null;
    if (!datasetId || !setId) return;
    try {
      const store = await pageStore();
      const all = await store.listAnalyses(datasetId, setId);
      this.stored = all.filter((a) => a.kind === 'projection').map((a) => a.id);
      const record = all.find((a) => a.id === this.analysisId);
      if (record) this.view = { record, categories: await this.categoriesFor(record) };
    } catch (error) {
      this.error = `Could not open the stored map: ${message(error)}`;
    }
  }

  async compute(): Promise<void> {
    const datasetId = this.explore.datasetId;
    const setId = this.explore.setId;
    if (!datasetId || !setId || this.running) return;
    this.controller = new AbortController();
    const { signal } = this.controller;
    this.running = true;
    this.error = null;
    this.fraction = 0;
    this.status = 'Starting';
    try {
      const request: MapRequest = { method: this.method, dims: this.dims, seed: this.seed };
      const onProgress = Comlink.proxy((event: Progress) => {
        this.fraction = Math.max(this.fraction, event.fraction);
        this.status = event.message;
      });
      const started = performance.now();
      const record = await projectClient.call(
        (api) => api.mapSet(datasetId, setId, request, undefined, onProgress),
        signal,
      );
      this.view = { record, categories: await this.categoriesFor(record) };
      if (!this.stored.includes(record.id)) this.stored = [...this.stored, record.id];
      this.status = `${record.rows} points in ${((performance.now() - started) / 1000).toFixed(1)} s`;
    } catch (error) {
      this.status = '';
      this.error = signal.aborted ? 'Map cancelled.' : `Map failed: ${message(error)}`;
    } finally {
      this.running = false;
    }
  }

  cancel(): void {
    this.controller?.abort();
  }

  /** Recolours the shown map after the colouring choice changed. */
  async recolor(): Promise<void> {
    const view = this.view;
    if (!view) return;
    try {
      this.view = { record: view.record, categories: await this.categoriesFor(view.record) };
    } catch (error) {
      this.error = `Could not colour the map: ${message(error)}`;
    }
  }

  private async categoriesFor(record: AnalysisRecord): Promise<PointCategories> {
    const datasetId = record.datasetId;
    if (this.colorBy === 'none') return singleCategory(record.rows, record.setId);
    if (this.colorBy === 'cluster') {
      const clusters = await (
        await pageStore()
      ).getAnalysis(datasetId, record.setId, 'clusters:kmeans');
      if (!clusters || clusters.rows !== record.rows) {
        this.error = 'No clusters for this set yet: run Clusters first. Colouring by source.';
        this.colorBy = 'source';
        return this.categoriesFor(record);
      }
      return clusterCategories(clusters);
    }
    const by =
      this.colorBy === 'source'
        ? ({ kind: 'source' } as const)
        : ({ kind: 'metadata', field: this.metadataField.trim() } as const);
    if (by.kind === 'metadata' && !by.field) return singleCategory(record.rows, record.setId);
    return projectClient.call((api) => api.categories(datasetId, record.chunkIds, by));
  }

  /** The chunk text shown when hovering a point. */
  async pointText(row: number): Promise<string> {
    const view = this.view;
    const chunkId = view?.record.chunkIds[row];
    if (!view || !chunkId) return '';
    const joined = await lookupChunks(await pageStore(), view.record.datasetId, [chunkId]);
    const found = joined.get(chunkId);
    return found ? `${found.document?.source ?? ''} · ${chunkId}\n${found.chunk.text}` : chunkId;
  }

  /** Nearest chunks of a clicked point by its stored vector (exact search in the index worker). */
  async showNeighbours(row: number): Promise<void> {
    const view = this.view;
    const chunkId = view?.record.chunkIds[row];
    if (!view || !chunkId) return;
    const { datasetId, setId } = view.record;
    this.neighboursOf = chunkId;
    try {
      const vector = await indexClient.call((api) => api.chunkVector(datasetId, setId, chunkId));
      if (!vector) throw new Error(`${chunkId} has no stored vector.`);
      const result = await indexClient.call((api) =>
        api.query(datasetId, [{ text: '', vector: Comlink.transfer(vector, [vector.buffer]) }], {
          mode: 'semantic',
          k: NEIGHBOURS,
          setId,
          exclude: [chunkId],
        }),
      );
      this.neighbours = result.hits[0] ?? [];
    } catch (error) {
      this.error = `Neighbours failed: ${message(error)}`;
    }
  }

  select(rows: readonly number[]): void {
    const view = this.view;
    if (!view) return;
    const { values, dims, chunkIds } = view.record;
    this.selection = rows.map((row) => ({
      row,
      chunkId: chunkIds[row] ?? '',
      coordinates: Array.from(values.subarray(row * dims, (row + 1) * dims)),
    }));
  }

  /** The selected points with their chunk text, as CSV or JSONL. */
  async exportSelection(format: 'csv' | 'jsonl'): Promise<void> {
    const view = this.view;
    if (!view || !this.selection.length) return;
    const joined = await lookupChunks(
      await pageStore(),
      view.record.datasetId,
      this.selection.map((s) => s.chunkId),
    );
    const rows = this.selection.map((s) => {
      const found = joined.get(s.chunkId);
      return {
        chunk_id: s.chunkId,
        doc_id: found?.chunk.docId ?? '',
        source: found?.document?.source ?? '',
        x: s.coordinates[0] ?? 0,
        y: s.coordinates[1] ?? 0,
        ...(view.record.dims === 3 ? { z: s.coordinates[2] ?? 0 } : {}),
        text: found?.chunk.text ?? '',
      };
    });
    const name = `${view.record.setId.replace(/[\\/:*?"<>|]+/g, '_')}-${view.record.id.replace(':', '-')}-selection`;
    if (format === 'jsonl') {
      downloadBlob(
        rows.map((row) => JSON.stringify(row)).join('\n') + '\n',
        `${name}.jsonl`,
        'application/jsonl',
      );
    } else {
      const { default: Papa } = await import('papaparse');
      downloadBlob(Papa.unparse(rows, { newline: '\n' }), `${name}.csv`, 'text/csv');
    }
  }

  /** The selected points' chunks (and their documents) as a Lumina bundle. */
  async exportSelectionBundle(): Promise<void> {
    const view = this.view;
    if (!view || !this.selection.length || this.bundleFraction !== null) return;
    const { datasetId, setId } = view.record;
    const method = view.record.id.replace('projection:', '');
    this.bundleFraction = 0;
    this.bundleNotice = null;
    this.error = null;
    try {
      const fileName = await downloadSelectionBundle({
        datasetId,
        setId,
        datasetName: this.explore.library.selected?.name ?? 'dataset',
        tag: `map-${method}`,
        selection: {
          kind: 'chunks',
          chunkIds: this.selection.map((s) => s.chunkId),
          description: `${this.selection.length} points selected on the ${method} map of ${setId}`,
        },
        onProgress: (fraction) => {
          this.bundleFraction = Math.max(this.bundleFraction ?? 0, fraction);
        },
      });
      this.bundleNotice = `Exported ${this.selection.length} chunks as ${fileName}.`;
    } catch (error) {
      this.error = `Bundle export failed: ${message(error)}`;
    } finally {
      this.bundleFraction = null;
    }
  }

  async openChunk(hit: DatasetHit): Promise<void> {
    if (hit.chunk) await this.explore.library.openDocument(hit.chunk.docId, hit.chunk.index);
  }
}

/** Cluster assignments as categories named by each cluster's top terms (when stored). */
export function clusterCategories(clusters: AnalysisRecord): PointCategories {
  const codes = Int32Array.from(clusters.values);
  const params = clusters.params;
  const labels =
    params &&
    typeof params === 'object' &&
    !Array.isArray(params) &&
    Array.isArray(params['labels'])
      ? params['labels']
      : [];
  const count = codes.reduce((max, c) => Math.max(max, c + 1), 0);
  const names = Array.from({ length: count }, (_, c) => {
    const label = labels[c];
    const terms =
      label && typeof label === 'object' && !Array.isArray(label) && Array.isArray(label['terms'])
        ? label['terms']
            .slice(0, 3)
            .map((t) =>
              t && typeof t === 'object' && !Array.isArray(t) && typeof t['term'] === 'string'
                ? t['term']
                : '',
            )
            .filter(Boolean)
        : [];
    return terms.length ? `${c}: ${terms.join(', ')}` : `cluster ${c}`;
  });
  return { codes, names };
}
