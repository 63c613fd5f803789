import type { Random } from './random.ts';
import type { Vectors } from './types.ts';

export interface QualityScores {
  /** Trustworthiness (Venna & Kaski) in [0, 1]: 1 means no false neighbours in the map. */
  trustworthiness: number;
  /** Mean fraction of each point's high-dim k-NN that are also its k-NN in the map. */
  knnPreservation: number;
  sample: number;
  k: number;
}

function pairwiseSquared(data: Float32Array, width: number, ids: Int32Array): Float64Array {
  const m = ids.length;
  const out = new Float64Array(m * m);
  for (let a = 0; a < m; a++) {
    const ia = (ids[a] as number) * width;
    for (let b = a + 1; b < m; b++) {
      const ib = (ids[b] as number) * width;
      let s = 0;
      for (let c = 0; c < width; c++) {
        const d = (data[ia + c] as number) - (data[ib + c] as number);
        s += d * d;
      }
      out[a * m + b] = s;
      out[b * m + a] = s;
    }
  }
  return out;
}

function neighbourOrder(dist: Float64Array, m: number, a: number): Int32Array {
  const order = Int32Array.from({ length: m - 1 }, (_, i) => (i < a ? i : i + 1));
  return order.sort((x, y) => (dist[a * m + x] as number) - (dist[a * m + y] as number) || x - y);
}

/** A seeded sample of `size` distinct row ids (all rows when there are fewer). */
export function sampleRows(rows: number, size: number, random: Random): Int32Array {
  const ids = Int32Array.from({ length: rows }, (_, i) => i);
  const m = Math.min(size, rows);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random() * (rows - i));
    const t = ids[i] as number;
    ids[i] = ids[j] as number;
    ids[j] = t;
  }
  return ids.slice(0, m).sort();
}

/**
 * Trustworthiness and k-NN preservation of a map, computed among a sample of rows (neighbours
 * are taken within the sample, as for a subsampled `sklearn.manifold.trustworthiness`), so a
 * 1000-point sample costs 1000² distances whatever the data size.
 */
export function mapQuality(
  high: Vectors,
  low: Float32Array,
  lowDims: number,
  ids: Int32Array,
  k = 10,
): QualityScores {
  const m = ids.length;
  if (k >= m / 2) throw new Error(`k must be below half the sample size (${m})`);
  const dHigh = pairwiseSquared(high.data, high.dims, ids);
  const dLow = pairwiseSquared(low, lowDims, ids);
  const rank = new Int32Array(m);
  let penalty = 0;
  let kept = 0;
  for (let a = 0; a < m; a++) {
    const highOrder = neighbourOrder(dHigh, m, a);
    for (let r = 0; r < highOrder.length; r++) rank[highOrder[r] as number] = r + 1;
    const lowOrder = neighbourOrder(dLow, m, a);
    const highSet = new Set(highOrder.subarray(0, k));
    for (let r = 0; r < k; r++) {
      const b = lowOrder[r] as number;
      if (highSet.has(b)) kept++;
      else penalty += (rank[b] as number) - k;
    }
  }
  const trustworthiness = 1 - (2 / (m * k * (2 * m - 3 * k - 1))) * penalty;
  return { trustworthiness, knnPreservation: kept / (m * k), sample: m, k };
}
