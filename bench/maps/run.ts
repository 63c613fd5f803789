import { parseArgs } from 'node:util';
import {
  mapQuality,
  pca,
  sampleRows,
  seededRandom,
  tsne,
  umap,
  type Vectors,
} from '../../src/core/project/index.ts';
import { gaussianMixtureBlocks, gaussianMixtureOnSphere } from './data.ts';

/**
 * `npm run bench:maps`: PCA, UMAP and t-SNE to 2D on seeded synthetic embeddings (a Gaussian
 * mixture on the 384-dim unit sphere: 6 topics × 5 clusters; no pretrained model is available
 * offline), in Node through tsx: the project worker is pure core code, so this is the same code
 * the worker runs. Quality: trustworthiness and 10-NN preservation among a 1000-row sample,
 * against the 384-dim input; PCA's row is the baseline.
 */
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    sizes: { type: 'string', default: '10000,50000' },
    methods: { type: 'string', default: 'pca,umap,tsne' },
    'pca-rows': { type: 'string', default: '1000000' },
    // Extra t-SNE-only sizes, e.g. `--tsne-rows 100000` (10× the Embedding Projector's cap).
    'tsne-rows': { type: 'string', default: '' },
    sample: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
  },
});
const sizes = values.sizes
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const methods = values.methods.split(',');
const tsneOnly = values['tsne-rows']
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const pcaRows = Number(values['pca-rows']);
const sampleSize = Number(values.sample);
const seed = Number(values.seed);

interface Row {
  n: number;
  method: string;
  dims: number;
  seconds: number;
  cpuSeconds: number;
  trust: string;
  knn: string;
}

function print(row: Row): void {
  const cells = [
    String(row.n).padStart(9),
    row.method.padEnd(6),
    String(row.dims).padStart(4),
    row.seconds.toFixed(1).padStart(8),
    row.cpuSeconds.toFixed(1).padStart(7),
    row.trust.padStart(8),
    row.knn.padStart(10),
  ];
  console.log(`| ${cells.join(' | ')} |`);
}

/** Wall-clock and this process's CPU seconds: on a shared machine the CPU time is the steadier. */
async function timed<T>(
  run: () => Promise<T>,
): Promise<{ value: T; seconds: number; cpuSeconds: number }> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const value = await run();
  const used = process.cpuUsage(cpu);
  return {
    value,
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

console.log(`bench:maps — Node ${process.version}, seed ${seed}, quality on ${sampleSize} rows`);
console.log('|         n | method | dims |  seconds |   cpu s | trust@10 | 10-NN kept |');
console.log('|----------:|--------|-----:|---------:|--------:|---------:|-----------:|');
const runs: [number, string[]][] = [
  ...sizes.map((n): [number, string[]] => [n, methods]),
  ...tsneOnly.map((n): [number, string[]] => [n, ['tsne']]),
];
for (const [n, methodsForSize] of runs) {
  const data: Vectors = gaussianMixtureOnSphere({ rows: n, seed });
  const ids = sampleRows(n, sampleSize, seededRandom(seed + 7));
  for (const method of methodsForSize) {
    const {
      value: map,
      seconds,
      cpuSeconds,
    } = await timed(async () => {
      if (method === 'pca') return (await pca(data, 2)).coordinates;
      if (method === 'umap') return umap(data, { dims: 2, seed });
      if (method === 'tsne') return tsne(data, { dims: 2, seed });
      throw new Error(`unknown method ${method}`);
    });
    const q = mapQuality(data, map, 2, ids, 10);
    const row: Row = {
      n,
      method,
      dims: 2,
      seconds,
      cpuSeconds,
      trust: q.trustworthiness.toFixed(3),
      knn: q.knnPreservation.toFixed(3),
    };
    print(row);
  }
}
if (pcaRows > 0) {
  const blocks = gaussianMixtureBlocks({ rows: pcaRows, seed, blockRows: 1024 });
  const { seconds, cpuSeconds } = await timed(() => pca(blocks, 2));
  const row: Row = {
    n: pcaRows,
    method: 'pca',
    dims: 2,
    seconds,
    cpuSeconds,
    trust: '—',
    knn: '—',
  };
  print(row);
}
