import { ProgressReporter } from '../progress.ts';
import { approximateKnn, type KnnOptions } from './knn.ts';
import { Pacer } from './pacer.ts';
import { seededRandom } from './random.ts';
import { reduceForNeighbours, scaledLeadingColumns } from './reduce.ts';
import { findAbParams } from './umap-curve.ts';
import { fuzzySimplicialSet } from './umap-graph.ts';
import { UmapLayout } from './umap-layout.ts';
import { assertVectors, type LongRunOptions, type ProjectionDims, type Vectors } from './types.ts';

export interface UmapOptions extends LongRunOptions {
  dims?: ProjectionDims;
  seed?: number;
  nNeighbors?: number;
  minDist?: number;
  spread?: number;
  /** Default as umap-learn: 500 up to 10k points, 200 above. */
  nEpochs?: number;
  /** PCA dims kept for the neighbour search (fewer input dims are only centred and rotated). */
  pcaDims?: number;
  knn?: KnnOptions;
}

/** umap-learn's default epoch count. */
export function defaultUmapEpochs(rows: number): number {
  return rows <= 10_000 ? 500 : 200;
}

/**
 * UMAP after umap-learn: PCA to ≤ 50 dims, approximate kNN ({@link approximateKnn}), fuzzy
 * simplicial set and SGD layout on typed arrays, starting from the PCA coordinates scaled to
 * ±10 (umap-learn's `init='pca'`); the `a`, `b` curve fit uses ml-levenberg-marquardt.
 * umap-js 1.4.0 (PAIR-code) was tried first, fed with this kNN through `setPrecomputedKNN`: it
 * took 46 s for 10k points here (6 s building its string-keyed sparse matrices, 36 s for the
 * 500 epochs on `number[][]`), so 50k points in 60 s was out of its reach.
 */
export async function umap(vectors: Vectors, options: UmapOptions = {}): Promise<Float32Array> {
  assertVectors(vectors);
  const dims = options.dims ?? 2;
  const rows = vectors.rows;
  const nNeighbors = Math.min(options.nNeighbors ?? 15, rows - 1);
  if (nNeighbors < 2) throw new Error('UMAP needs at least 3 points');
  const epochs = options.nEpochs ?? defaultUmapEpochs(rows);
  const random = seededRandom(options.seed ?? 42);
  const reporter = new ProgressReporter(options.onProgress);
  reporter.start(`UMAP ${dims}D of ${rows} points`);

  const reduced = await reduceForNeighbours(
    vectors,
    options.pcaDims ?? 50,
    random,
    options,
    reporter.sub(0, 0.1),
  );
  const knn = await approximateKnn(
    reduced,
    nNeighbors - 1,
    random,
    { signal: options.signal, ...options.knn },
    reporter.sub(0.1, 0.4),
  );
  const pacer = new Pacer(options.signal);
  await pacer.breathe();
  const graph = fuzzySimplicialSet(knn);
  reporter.update(0.45, 1, 'UMAP: fuzzy graph');
  await pacer.breathe();

  const embedding = pcaStart(reduced, dims);
  const { a, b } = findAbParams(options.spread ?? 1, options.minDist ?? 0.1);
  const layout = new UmapLayout(
    graph,
    embedding,
    {
      dims,
      epochs,
      a,
      b,
      learningRate: 1,
      negativeSampleRate: 5,
      repulsionStrength: 1,
    },
    random,
  );
  const report = reporter.sub(0.45, 1);
  while (layout.epochsDone < epochs) {
    layout.epoch();
    if (pacer.due()) {
      report(layout.epochsDone, epochs, 'UMAP: layout');
      await pacer.breathe();
    }
  }
  reporter.finish('UMAP done');
  return embedding;
}

/** The first `dims` PCA columns, scaled so the largest |coordinate| is 10 (umap-learn). */
function pcaStart(reduced: Vectors, dims: number): Float32Array {
  const start = scaledLeadingColumns(reduced, dims, 1);
  let max = 0;
  for (let i = 0; i < start.length; i++) max = Math.max(max, Math.abs(start[i] as number));
  const scale = max > 0 ? 10 / max : 0;
  return Float32Array.from(start, (v) => v * scale);
}
