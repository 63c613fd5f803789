/**
 * The analysis tools over a stored embedding set: the set read as one matrix, k-means clusters
 * kept as an `AnalysisRecord` (so the map can colour by cluster), near-duplicates and paths with
 * their chunk texts joined for display.
 */
import Papa from 'papaparse';
import { throwIfAborted } from '../abort.ts';
import { lookupChunks, type JoinedChunk } from '../search/chunk-lookup.ts';
import { LUCENE_ENGLISH_STOPWORDS } from '../lexical/index.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { AnalysisRecord, LuminaStore } from '../store/index.ts';
import { prefixRange } from '../store/keys.ts';
import { chooseK, type ChooseKResult } from './choose-k.ts';
import { clusterLabels, wordTokenizer } from './cluster-labels.ts';
import { findNearDuplicates, type DuplicateGroup, type DuplicatePair } from './duplicates.ts';
import { interpolatePath, type InterpolationMethod } from './interpolate.ts';
import { kmeans, type ClusterMetric } from './kmeans.ts';
import type { LabelledEmbeddings } from './matrix.ts';
import { silhouetteScore } from './silhouette.ts';
import { docIdOfChunk } from '../store/index.ts';

export const CLUSTERS_ANALYSIS_ID = 'clusters:kmeans';

export interface LongRun {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** A chunk as the tools show it. */
export interface ChunkView {
  chunkId: string;
  docId: string;
  /** Position of the chunk in its document (to highlight it there). */
  index: number;
  text: string;
  source: string;
}

function chunkView(chunkId: string, joined: JoinedChunk | undefined): ChunkView | null {
  if (!joined) return null;
  const { chunk, document } = joined;
  return {
    chunkId,
    docId: chunk.docId,
    index: chunk.index,
    text: chunk.text,
    source: document?.source ?? '',
  };
}

/** Reads chunks by id in slices, so one read transaction never holds thousands of requests. */
async function chunkViews(
  store: LuminaStore,
  datasetId: string,
  chunkIds: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, ChunkView>> {
  const views = new Map<string, ChunkView>();
  const unique = [...new Set(chunkIds)];
  for (let start = 0; start < unique.length; start += 500) {
    throwIfAborted(signal);
    const slice = unique.slice(start, start + 500);
    const joined = await lookupChunks(store, datasetId, slice);
    for (const id of slice) {
      const view = chunkView(id, joined.get(id));
      if (view) views.set(id, view);
    }
  }
  return views;
}

/**
 * Every row of an embedding set as one row-major matrix with its chunk ids, in block order.
 * Progress counts blocks read.
 */
export async function loadSetMatrix(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  { signal, onProgress }: LongRun = {},
): Promise<LabelledEmbeddings> {
  const progress = new ProgressReporter(onProgress);
  progress.start(`Reading embedding set ${setId}`);
  const blockCount = await store.db.count('embeddingBlocks', prefixRange(datasetId, setId));
  const parts: Float32Array[] = [];
  const ids: string[] = [];
  let dims = 0;
  let read = 0;
  for await (const page of store.iterateEmbeddingBlocks(datasetId, setId, 8, signal)) {
    for (const block of page) {
      if (dims && block.dims !== dims) {
        throw new RangeError(`Block ${block.blockIndex} has ${block.dims} dims, not ${dims}.`);
      }
      dims = block.dims;
      parts.push(block.vectors.subarray(0, block.count * block.dims));
      for (let row = 0; row < block.count; row++) ids.push(block.chunkIds[row] as string);
    }
    read += page.length;
    progress.update(read, blockCount, `${read} of ${blockCount} blocks`);
  }
  if (!ids.length) throw new Error(`The embedding set ${setId} has no rows.`);
  const vectors = new Float32Array(ids.length * dims);
  let offset = 0;
  for (const part of parts) {
    vectors.set(part, offset);
    offset += part.length;
  }
  progress.finish();
  return { vectors, dims, ids };
}

/** Every chunk text of the dataset, by chunk id (one sequential pass over the chunks). */
async function chunkTexts(
  store: LuminaStore,
  datasetId: string,
  wanted: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for await (const page of store.iterateChunks(datasetId, 1000, signal)) {
    for (const chunk of page) if (wanted.has(chunk.id)) texts.set(chunk.id, chunk.text);
  }
  return texts;
}

export interface ClusterRunOptions {
  k: number;
  seed?: number;
  metric?: ClusterMetric;
  miniBatch?: boolean;
  /** Chunks nearest each centroid kept as examples; default 3. */
  examples?: number;
  /** Rows the silhouette is computed on (a seeded sample above it); default 1000. */
  silhouetteSample?: number;
  /** Label terms per cluster; default 8. */
  terms?: number;
}

/** One cluster as stored in the record's params (JSON). */
export type StoredClusterLabel = {
  cluster: number;
  size: number;
  /** c-TF-IDF terms with their weights, best first (the `ClusterTerm` shape). */
  terms: { term: string; score: number }[];
  /** Chunk ids nearest the centroid, nearest first. */
  examples: string[];
};

/** `AnalysisRecord.params` of a `clusters:kmeans` record. */
export type ClustersParams = {
  k: number;
  seed: number;
  metric: ClusterMetric;
  miniBatch: boolean;
  inertia: number;
  iterations: number;
  /** Mean silhouette (cosine or euclidean, as the metric), on a sample for large sets. */
  silhouette: number | null;
  ms: number;
  labels: StoredClusterLabel[];
};

export interface ClusterView {
  cluster: number;
  size: number;
  terms: string[];
  examples: ChunkView[];
}

export interface ClustersView {
  rows: number;
  createdAt: number;
  params: ClustersParams;
  clusters: ClusterView[];
}

/** The rows nearest each centroid (by the clustering metric), nearest first. */
function nearestToCentroids(
  matrix: LabelledEmbeddings,
  assignments: Int32Array,
  centroids: Float32Array,
  k: number,
  metric: ClusterMetric,
  count: number,
): number[][] {
  const { vectors, dims } = matrix;
  const best = Array.from({ length: k }, () => [] as { row: number; score: number }[]);
  for (let row = 0; row < assignments.length; row++) {
    const c = assignments[row] as number;
    let dot = 0;
    let norm = 0;
    let distance = 0;
    for (let j = 0; j < dims; j++) {
      const x = vectors[row * dims + j] as number;
      const y = centroids[c * dims + j] as number;
      dot += x * y;
      norm += x * x;
      distance += (x - y) ** 2;
    }
    const score = metric === 'cosine' ? (norm > 0 ? dot / Math.sqrt(norm) : -1) : -distance;
    const list = best[c] as { row: number; score: number }[];
    if (list.length < count || score > (list[list.length - 1]?.score ?? -Infinity)) {
      list.push({ row, score });
      list.sort((a, b) => b.score - a.score || a.row - b.row);
      if (list.length > count) list.pop();
    }
  }
  return best.map((list) => list.map((item) => item.row));
}

/**
 * k-means over the whole set, labelled by c-TF-IDF of the chunk texts (English stopwords
 * dropped), scored by silhouette, and saved as the set's `clusters:kmeans` analysis.
 */
export async function runStoredClusters(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  options: ClusterRunOptions,
  { signal, onProgress }: LongRun = {},
): Promise<AnalysisRecord> {
  const {
    k,
    seed = 0,
    metric = 'cosine',
    miniBatch = false,
    examples = 3,
    silhouetteSample = 1000,
    terms = 8,
  } = options;
  const started = performance.now();
  const progress = new ProgressReporter(onProgress);
  progress.start(`Clustering into ${k}`);
  const phase = (from: number, to: number, message: string): ProgressCallback => {
    const report = progress.sub(from, to);
    return (event) => {
      if (event.status === 'progress') report(event.done, event.total, message);
    };
  };
  const matrix = await loadSetMatrix(store, datasetId, setId, {
    signal,
    onProgress: phase(0, 0.1, 'reading vectors'),
  });
  if (k > matrix.ids.length) {
    throw new RangeError(`k = ${k} is more than the ${matrix.ids.length} rows of the set.`);
  }
  const result = await kmeans(matrix, {
    k,
    seed,
    metric,
    miniBatch,
    signal,
    onProgress: phase(0.1, 0.75, 'k-means'),
  });
  progress.update(0.75, 1, 'silhouette');
  const silhouette =
    k >= 2
      ? await silhouetteScore(matrix, result.assignments, {
          metric,
          sampleSize: silhouetteSample,
          seed,
          signal,
        })
      : null;
  progress.update(0.85, 1, 'reading chunk texts');
  const texts = await chunkTexts(store, datasetId, new Set(matrix.ids), signal);
  const labels = await clusterLabels(
    matrix.ids.map((id) => texts.get(id) ?? ''),
    result.assignments,
    {
      tokenizer: wordTokenizer(LUCENE_ENGLISH_STOPWORDS),
      topN: terms,
      signal,
      onProgress: phase(0.9, 0.98, 'labelling'),
    },
  );
  const termsByCluster = new Map(labels.map((label) => [label.cluster, label.terms]));
  const nearest = nearestToCentroids(
    matrix,
    result.assignments,
    result.centroids,
    k,
    metric,
    examples,
  );
  const params: ClustersParams = {
    k,
    seed,
    metric,
    miniBatch,
    inertia: result.inertia,
    iterations: result.iterations,
    silhouette,
    ms: Math.round(performance.now() - started),
    labels: Array.from(result.sizes, (size, cluster) => ({
      cluster,
      size,
      terms: (termsByCluster.get(cluster) ?? []).map(({ term, score }) => ({ term, score })),
      examples: (nearest[cluster] ?? []).map((row) => matrix.ids[row] as string),
    })),
  };
  const record: AnalysisRecord = {
    datasetId,
    setId,
    id: CLUSTERS_ANALYSIS_ID,
    kind: 'clusters',
    createdAt: Date.now(),
    rows: matrix.ids.length,
    dims: 1,
    values: result.assignments,
    chunkIds: [...matrix.ids],
    params,
  };
  throwIfAborted(signal);
  await store.putAnalysis(record);
  progress.finish(`${k} clusters`);
  return record;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isTermArray(value: unknown): value is { term: string; score: number }[] {
  return (
    Array.isArray(value) &&
    value.every(
      (item) =>
        typeof item === 'object' &&
        item !== null &&
        typeof (item as Record<string, unknown>)['term'] === 'string' &&
        typeof (item as Record<string, unknown>)['score'] === 'number',
    )
  );
}

/** The params of a stored clusters record, checked; null when they are not that shape. */
export function readClustersParams(params: unknown): ClustersParams | null {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return null;
  const p = params as Record<string, unknown>;
  const numbers = ['k', 'seed', 'inertia', 'iterations', 'ms'] as const;
  if (!numbers.every((key) => typeof p[key] === 'number')) return null;
  if (p['metric'] !== 'cosine' && p['metric'] !== 'euclidean') return null;
  if (p['silhouette'] !== null && typeof p['silhouette'] !== 'number') return null;
  if (!Array.isArray(p['labels'])) return null;
  const labels: StoredClusterLabel[] = [];
  for (const item of p['labels'] as unknown[]) {
    if (typeof item !== 'object' || item === null) return null;
    const label = item as Record<string, unknown>;
    const { cluster, size, terms, examples } = label;
    if (typeof cluster !== 'number' || typeof size !== 'number') return null;
    if (!isTermArray(terms) || !isStringArray(examples)) return null;
    labels.push({ cluster, size, terms, examples });
  }
  return {
    k: p['k'] as number,
    seed: p['seed'] as number,
    metric: p['metric'],
    miniBatch: p['miniBatch'] === true,
    inertia: p['inertia'] as number,
    iterations: p['iterations'] as number,
    silhouette: p['silhouette'] as number | null,
    ms: p['ms'] as number,
    labels,
  };
}

/** A stored clusters record with its example chunks joined, for display. */
export async function clustersView(
  store: LuminaStore,
  record: AnalysisRecord,
  signal?: AbortSignal,
): Promise<ClustersView> {
  const params = readClustersParams(record.params);
  if (!params) throw new Error(`${record.id} of ${record.setId} is not a clusters result.`);
  const views = await chunkViews(
    store,
    record.datasetId,
    params.labels.flatMap((label) => label.examples),
    signal,
  );
  return {
    rows: record.rows,
    createdAt: record.createdAt,
    params,
    clusters: params.labels.map((label) => ({
      cluster: label.cluster,
      size: label.size,
      terms: label.terms.map((term) => term.term),
      examples: label.examples.flatMap((id) => {
        const view = views.get(id);
        return view ? [view] : [];
      }),
    })),
  };
}

/** `chunk_id,doc_id,cluster,label`: one line per clustered chunk, label terms space-separated. */
export function clustersToCsv(record: AnalysisRecord): string {
  const params = readClustersParams(record.params);
  if (!params) throw new Error(`${record.id} of ${record.setId} is not a clusters result.`);
  const terms = new Map(
    params.labels.map((label) => [label.cluster, label.terms.map((t) => t.term).join(' ')]),
  );
  return Papa.unparse(
    {
      fields: ['chunk_id', 'doc_id', 'cluster', 'label'],
      data: record.chunkIds.map((id, row) => {
        const cluster = record.values[row] as number;
        return [id, docIdOfChunk(id), cluster, terms.get(cluster) ?? ''];
      }),
    },
    { newline: '\n' },
  );
}

/** The elbow / silhouette table for k in [minK, maxK] over the whole set. */
export async function chooseStoredK(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  options: { minK?: number; maxK?: number; seed?: number; metric?: ClusterMetric },
  { signal, onProgress }: LongRun = {},
): Promise<ChooseKResult> {
  const progress = new ProgressReporter(onProgress);
  progress.start('Trying k');
  const read = progress.sub(0, 0.1);
  const matrix = await loadSetMatrix(store, datasetId, setId, {
    signal,
    onProgress: (event) => {
      if (event.status === 'progress') read(event.done, event.total, 'reading vectors');
    },
  });
  const search = progress.sub(0.1, 1);
  const maxK = Math.min(options.maxK ?? 10, matrix.ids.length - 1);
  const minK = Math.min(options.minK ?? 2, maxK);
  const result = await chooseK(matrix, {
    ...options,
    minK,
    maxK,
    silhouetteSampleSize: 1000,
    signal,
    onProgress: (event) => {
      if (event.status === 'progress') search(event.done, event.total, event.message);
    },
  });
  progress.finish(`suggested k = ${result.suggestedK}`);
  return result;
}

export interface PairView {
  score: number;
  a: string;
  b: string;
  chunkA: ChunkView | null;
  chunkB: ChunkView | null;
}

export interface GroupView {
  group: number;
  members: ChunkView[];
  size: number;
}

export interface DuplicatesView {
  threshold: number;
  rows: number;
  /** Every pair, for export. */
  pairs: DuplicatePair[];
  /** Every group, for export. */
  groups: DuplicateGroup[];
  /** The best pairs with their chunks, at most `displayLimit`. */
  shownPairs: PairView[];
  /** The largest groups with their first members' chunks. */
  shownGroups: GroupView[];
  ms: number;
}

/** Near-duplicate pairs and groups of a set, the first few joined with their chunk texts. */
export async function storedDuplicates(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  { threshold = 0.95, displayLimit = 200 }: { threshold?: number; displayLimit?: number },
  { signal, onProgress }: LongRun = {},
): Promise<DuplicatesView> {
  const started = performance.now();
  const progress = new ProgressReporter(onProgress);
  progress.start(`Pairs at cosine ≥ ${threshold}`);
  const read = progress.sub(0, 0.15);
  const matrix = await loadSetMatrix(store, datasetId, setId, {
    signal,
    onProgress: (event) => {
      if (event.status === 'progress') read(event.done, event.total, 'reading vectors');
    },
  });
  const compare = progress.sub(0.15, 0.95);
  const { pairs, groups } = await findNearDuplicates(matrix, {
    threshold,
    signal,
    onProgress: (event) => {
      if (event.status === 'progress') compare(event.done, event.total, 'comparing');
    },
  });
  const shown = pairs.slice(0, displayLimit);
  const groupsShown = groups.slice(0, displayLimit);
  const views = await chunkViews(
    store,
    datasetId,
    [
      ...shown.flatMap((pair) => [pair.a, pair.b]),
      ...groupsShown.flatMap((group) => group.members.slice(0, 5)),
    ],
    signal,
  );
  progress.finish(`${pairs.length} pairs`);
  return {
    threshold,
    rows: matrix.ids.length,
    pairs,
    groups,
    shownPairs: shown.map((pair) => ({
      score: pair.score,
      a: pair.a,
      b: pair.b,
      chunkA: views.get(pair.a) ?? null,
      chunkB: views.get(pair.b) ?? null,
    })),
    shownGroups: groupsShown.map((group) => ({
      group: group.group,
      size: group.members.length,
      members: group.members.slice(0, 5).flatMap((id) => {
        const view = views.get(id);
        return view ? [view] : [];
      }),
    })),
    ms: performance.now() - started,
  };
}

export interface PathHitView {
  chunkId: string;
  score: number;
  chunk: ChunkView | null;
}

export interface PathStepView {
  t: number;
  hits: PathHitView[];
}

/** The nearest chunks at `steps` points from `from` to `to`, joined with their texts. */
export async function storedPath(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  from: Float32Array,
  to: Float32Array,
  options: { steps?: number; k?: number; method?: InterpolationMethod; dedupe?: boolean },
  { signal, onProgress }: LongRun = {},
): Promise<PathStepView[]> {
  const progress = new ProgressReporter(onProgress);
  progress.start('Walking the path');
  const read = progress.sub(0, 0.5);
  const matrix = await loadSetMatrix(store, datasetId, setId, {
    signal,
    onProgress: (event) => {
      if (event.status === 'progress') read(event.done, event.total, 'reading vectors');
    },
  });
  if (matrix.dims !== from.length) {
    throw new RangeError(
      `The texts were embedded in ${from.length} dims but the set has ${matrix.dims}: embed them with the set's model.`,
    );
  }
  const rows = matrix.ids.length;
  const search = progress.sub(0.5, 0.95);
  const points = await interpolatePath(
    [{ dims: matrix.dims, count: rows, vectors: matrix.vectors, chunkIds: [...matrix.ids] }],
    from,
    to,
    {
      ...options,
      signal,
      onProgress: (event) => {
        if (event.status === 'progress') search(event.done, event.total, 'searching');
      },
    },
  );
  const views = await chunkViews(
    store,
    datasetId,
    points.flatMap((point) => point.hits.map((hit) => hit.chunkId)),
    signal,
  );
  progress.finish();
  return points.map((point) => ({
    t: point.t,
    hits: point.hits.map((hit) => ({
      chunkId: hit.chunkId,
      score: hit.score,
      chunk: views.get(hit.chunkId) ?? null,
    })),
  }));
}

/** One chunk by id with its document, or null. */
export async function storedChunk(
  store: LuminaStore,
  datasetId: string,
  chunkId: string,
): Promise<ChunkView | null> {
  return (await chunkViews(store, datasetId, [chunkId])).get(chunkId) ?? null;
}
