import { gaussian, seededRandom, type Random } from '../../src/core/project/random.ts';

/**
 * Synthetic, seeded "embeddings": a two-level Gaussian mixture on the unit sphere. There are no
 * pretrained weights in this sandbox, so real sentence embeddings cannot be made; this mimics
 * their shape instead: topics (groups) of related clusters, cosine ≈ 0.5–0.6 inside a cluster,
 * ≈ 0.25 between clusters of one group and ≈ 0 across groups, in 384 dims.
 */
export interface MixtureOptions {
  rows: number;
  dims?: number;
  groups?: number;
  clustersPerGroup?: number;
  seed?: number;
}

export interface Mixture {
  data: Float32Array;
  rows: number;
  dims: number;
  /** Cluster of each row, for purity checks. */
  labels: Int32Array;
}

function unit(random: Random, dims: number): Float64Array {
  const v = new Float64Array(dims).map(() => gaussian(random));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

function clusterCentres(dims: number, groups: number, perGroup: number, random: Random) {
  const centres: Float64Array[] = [];
  for (let g = 0; g < groups; g++) {
    const topic = unit(random, dims);
    for (let c = 0; c < perGroup; c++) {
      const offset = unit(random, dims);
      const centre = topic.map((x, i) => x + 1.6 * (offset[i] as number));
      const norm = Math.hypot(...centre);
      centres.push(centre.map((x) => x / norm));
    }
  }
  return centres;
}

function samplePoints(
  centres: Float64Array[],
  rows: number,
  dims: number,
  random: Random,
): Mixture {
  // Per-dim noise σ with dims·σ² = 0.8 gives cosine ≈ 1 / 1.8 ≈ 0.55 to the cluster's centre.
  const sigma = Math.sqrt(0.8 / dims);
  const data = new Float32Array(rows * dims);
  const labels = new Int32Array(rows);
  const point = new Float64Array(dims);
  for (let r = 0; r < rows; r++) {
    const cluster = Math.floor(random() * centres.length);
    labels[r] = cluster;
    const centre = centres[cluster] ?? new Float64Array(dims);
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      const v = (centre[d] as number) + sigma * gaussian(random);
      point[d] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dims; d++) data[r * dims + d] = (point[d] as number) / norm;
  }
  return { data, rows, dims, labels };
}

export function gaussianMixtureOnSphere(options: MixtureOptions): Mixture {
  const { rows, dims = 384, groups = 6, clustersPerGroup = 5, seed = 1 } = options;
  const random = seededRandom(seed);
  return samplePoints(clusterCentres(dims, groups, clustersPerGroup, random), rows, dims, random);
}

/** The same mixture in blocks of `blockRows` (as the store keeps embeddings), for 1M rows. */
export function gaussianMixtureBlocks(options: MixtureOptions & { blockRows: number }): Mixture[] {
  const { rows, dims = 384, groups = 6, clustersPerGroup = 5, seed = 1, blockRows } = options;
  const centres = clusterCentres(dims, groups, clustersPerGroup, seededRandom(seed));
  const random = seededRandom(seed + 1);
  const blocks: Mixture[] = [];
  for (let start = 0; start < rows; start += blockRows) {
    blocks.push(samplePoints(centres, Math.min(blockRows, rows - start), dims, random));
  }
  return blocks;
}
