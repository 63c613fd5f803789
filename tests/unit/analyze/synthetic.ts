import { mulberry32 } from '../../../src/core/prepare/index.ts';

/** Standard normal numbers from a seeded uniform PRNG (Box–Muller). */
export function gaussian(seed: number): () => number {
  const random = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** `clusters × perCluster` rows around random unit centres; row i belongs to cluster i % clusters. */
export function blobs(
  clusters: number,
  perCluster: number,
  dims: number,
  noise: number,
  seed: number,
  normalise = true,
): { vectors: Float32Array; dims: number; truth: Int32Array } {
  const next = gaussian(seed);
  const centres = Array.from({ length: clusters }, () => {
    const c = Float64Array.from({ length: dims }, next);
    const length = Math.hypot(...c);
    return c.map((v) => (v / length) * 10);
  });
  const n = clusters * perCluster;
  const vectors = new Float32Array(n * dims);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const centre = centres[i % clusters] as Float64Array;
    truth[i] = i % clusters;
    const row = Float64Array.from(centre, (v) => v + noise * next());
    const length = normalise ? Math.hypot(...row) : 1;
    vectors.set(
      row.map((v) => v / length),
      i * dims,
    );
  }
  return { vectors, dims, truth };
}

/** Fraction of rows whose cluster's majority true label is their own (1 = perfect). */
export function purity(assignments: ArrayLike<number>, truth: ArrayLike<number>): number {
  const tallies = new Map<number, Map<number, number>>();
  for (let i = 0; i < assignments.length; i++) {
    const cluster = assignments[i] as number;
    const tally = tallies.get(cluster) ?? new Map<number, number>();
    tally.set(truth[i] as number, (tally.get(truth[i] as number) ?? 0) + 1);
    tallies.set(cluster, tally);
  }
  let agree = 0;
  for (const tally of tallies.values()) agree += Math.max(...tally.values());
  return agree / assignments.length;
}
