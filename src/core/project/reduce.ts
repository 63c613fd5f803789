import { applyPca, fitPcaPhase } from './pca.ts';
import { sampleRows } from './quality.ts';
import type { Random } from './random.ts';
import type { LongRunOptions, PhaseReport, Vectors } from './types.ts';

/** Rows the reduction's PCA is fitted on; more adds time, not accuracy, to the axes. */
export const REDUCTION_FIT_ROWS = 20_000;

/**
 * Common first step of UMAP and t-SNE on embeddings: PCA to at most `components` dims (50 in
 * umap-learn's and openTSNE's docs), which keeps neighbourhoods and makes every later distance
 * ~8× cheaper for 384-dim input. The axes are fitted on a seeded sample of at most
 * {@link REDUCTION_FIT_ROWS} rows (50 axes of a 384-dim covariance are settled long before
 * that), then every row is projected. The result's columns are principal axes, largest first,
 * so its first 2 or 3 columns are also the PCA initialisation.
 */
export async function reduceForNeighbours(
  vectors: Vectors,
  components: number,
  random: Random,
  options: LongRunOptions,
  report: PhaseReport,
): Promise<Vectors> {
  const k = Math.min(components, vectors.dims, vectors.rows);
  const fitOn = sampleVectors(vectors, REDUCTION_FIT_ROWS, random);
  const model = await fitPcaPhase(fitOn, k, options, (done, total, message) =>
    report(done * 0.6, total, message),
  );
  const data = await applyPca(model, vectors, options, (done, total, message) =>
    report(total * 0.6 + done * 0.4, total, message),
  );
  return { data, rows: vectors.rows, dims: k };
}

/** A seeded sample of at most `size` rows (the vectors themselves when they are fewer). */
function sampleVectors(vectors: Vectors, size: number, random: Random): Vectors {
  if (vectors.rows <= size) return vectors;
  const ids = sampleRows(vectors.rows, size, random);
  const { dims } = vectors;
  const data = new Float32Array(ids.length * dims);
  ids.forEach((row, i) => data.set(vectors.data.subarray(row * dims, (row + 1) * dims), i * dims));
  return { data, rows: ids.length, dims };
}

/** Columns `[0, dims)` of `vectors`, each scaled so its standard deviation is `targetStd`. */
export function scaledLeadingColumns(
  vectors: Vectors,
  dims: number,
  targetStd: number,
): Float64Array {
  const { data, rows, dims: width } = vectors;
  const out = new Float64Array(rows * dims);
  for (let c = 0; c < dims; c++) {
    let sum = 0;
    let sq = 0;
    for (let r = 0; r < rows; r++) {
      const v = c < width ? (data[r * width + c] as number) : 0;
      sum += v;
      sq += v * v;
    }
    const mean = sum / rows;
    const std = Math.sqrt(Math.max(0, sq / rows - mean * mean));
    const scale = std > 0 ? targetStd / std : 0;
    for (let r = 0; r < rows; r++) {
      const v = c < width ? (data[r * width + c] as number) : 0;
      out[r * dims + c] = (v - mean) * scale;
    }
  }
  return out;
}
