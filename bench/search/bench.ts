import { mulberry32 } from '../../src/core/prepare/index.ts';
import {
  attachWebGpu,
  QuantizedIndex,
  recallAtK,
  VectorIndex,
  type SearchHit,
  type VectorBlock,
} from '../../src/core/search/index.ts';
import type { BenchRow, SearchBenchRequest, SearchBenchResult } from './protocol.ts';

/** The search bench page: `run.ts` calls `luminaSearchBench.run` through Playwright. */

const BLOCK_ROWS = 1024;

function log(message: string): void {
  console.log(`[bench:search] ${message}`);
}

/** Seeded unit vectors, generated block by block so a 1M-row set never exists twice in memory. */
function* unitBlocks(rows: number, dims: number, seed: number): Generator<VectorBlock> {
  const random = mulberry32(seed);
  for (let start = 0; start < rows; start += BLOCK_ROWS) {
    const count = Math.min(BLOCK_ROWS, rows - start);
    const vectors = new Float32Array(count * dims);
    for (let r = 0; r < count; r++) {
      let sum = 0;
      for (let j = 0; j < dims; j++) {
        const v = random() * 2 - 1;
        vectors[r * dims + j] = v;
        sum += v * v;
      }
      const inverse = 1 / Math.sqrt(sum);
      for (let j = r * dims; j < (r + 1) * dims; j++) vectors[j] = (vectors[j] as number) * inverse;
    }
    yield {
      dims,
      count,
      vectors,
      chunkIds: Array.from({ length: count }, (_, i) => `c${start + i}`),
    };
  }
}

function unitQueries(count: number, dims: number, seed: number): Float32Array[] {
  const blocks = [...unitBlocks(count, dims, seed)];
  return blocks.flatMap((block) =>
    Array.from({ length: block.count }, (_, i) => block.vectors.slice(i * dims, (i + 1) * dims)),
  );
}

/**
 * The baseline: what a typical user writes. One Float32Array per chunk (what an embedding
 * pipeline hands back), a textbook cosine function (dot and both norms in one loop), an object per
 * row, and a full sort of all n scores before taking the top k.
 */
function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) * (a[i] as number);
    nb += (b[i] as number) * (b[i] as number);
  }
  return dot / (Math.sqrt(na) * Math.sqrt(nb));
}

function baselineSearch(
  embeddings: readonly { id: string; vector: Float32Array }[],
  query: Float32Array,
  k: number,
): SearchHit[] {
  const scored = embeddings.map((e) => ({
    chunkId: e.id,
    score: cosineSimilarity(query, e.vector),
  }));
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(0, k);
}

async function timeEach<T>(
  queries: readonly Float32Array[],
  run: (query: Float32Array) => Promise<T> | T,
): Promise<{ times: number[]; results: T[] }> {
  await run(queries[0] as Float32Array); // warm-up (JIT, first-touch of memory), not counted
  const times: number[] = [];
  const results: T[] = [];
  for (const query of queries) {
    const start = performance.now();
    results.push(await run(query));
    times.push(performance.now() - start);
  }
  return { times, results };
}

function agreement(path: string, truth: SearchHit[][], hits: SearchHit[][]) {
  let sameIds = 0;
  let maxScoreDiff = 0;
  hits.forEach((list, q) => {
    const expected = truth[q] ?? [];
    if (list.map((h) => h.chunkId).join() === expected.map((h) => h.chunkId).join()) sameIds++;
    list.forEach((hit, i) => {
      maxScoreDiff = Math.max(maxScoreDiff, Math.abs(hit.score - (expected[i]?.score ?? NaN)));
    });
  });
  return { path, sameIds, queries: hits.length, maxScoreDiff };
}

const luminaSearchBench = {
  async run(request: SearchBenchRequest): Promise<SearchBenchResult> {
    const { rows: n, dims, k } = request;
    const rows: BenchRow[] = [];
    const shards: SearchBenchResult['shards'] = [];
    const queries = unitQueries(request.queries, dims, request.seed + 1000);

    log(`generating ${n} × ${dims} unit vectors`);
    const blocks = [...unitBlocks(n, dims, request.seed)];
    const embeddings = blocks.flatMap((block) =>
      Array.from({ length: block.count }, (_, i) => ({
        id: block.chunkIds[i] as string,
        vector: block.vectors.slice(i * dims, (i + 1) * dims),
      })),
    );
    log('baseline: plain JavaScript loop');
    const baseline = await timeEach(queries, (query) => baselineSearch(embeddings, query, k));
    rows.push({
      path: 'baseline: plain JS loop + full sort',
      rows: n,
      queries: queries.length,
      times: baseline.times,
    });
    embeddings.length = 0;

    const index = await VectorIndex.build(blocks, { expectedRows: n });
    shards.push({ rows: n, shards: index.shards.length });
    log('Lumina WASM SIMD');
    const wasm = await timeEach(queries, (query) => index.search(query, k, { backend: 'wasm' }));
    rows.push({ path: 'Lumina WASM SIMD', rows: n, queries: queries.length, times: wasm.times });
    log('Lumina typed-array fallback');
    const js = await timeEach(queries, (query) => index.search(query, k, { backend: 'js' }));
    rows.push({
      path: 'Lumina JS typed-array fallback',
      rows: n,
      queries: queries.length,
      times: js.times,
    });
    const batch = queries.slice(0, 16);
    const batchStart = performance.now();
    await index.searchBatch(batch, k, { backend: 'wasm' });
    const batchMs = (performance.now() - batchStart) / batch.length;
    rows.push({
      path: 'Lumina WASM SIMD, batch of 16 (per query)',
      rows: n,
      queries: batch.length,
      times: batch.map(() => batchMs),
      note: 'one pass scores 16 queries; per-query time = batch time / 16',
    });

    log('int8 index with exact re-ranking');
    const quantized = await QuantizedIndex.build(index);
    const int8 = await timeEach(queries, (query) =>
      quantized.search(query, k, { rerank: request.rerank }),
    );
    rows.push({
      path: `Lumina int8 + exact re-rank (${request.rerank}×k)`,
      rows: n,
      queries: queries.length,
      times: int8.times,
      recall: recallAtK(
        wasm.results.map((r) => r.hits),
        int8.results.map((r) => r.hits),
        k,
      ),
    });

    const truth = baseline.results;
    const agreements = [
      agreement(
        'WASM SIMD',
        truth,
        wasm.results.map((r) => r.hits),
      ),
      agreement(
        'JS typed-array',
        truth,
        js.results.map((r) => r.hits),
      ),
      agreement(
        'int8 + re-rank',
        truth,
        int8.results.map((r) => r.hits),
      ),
    ];

    if (request.webgpu) {
      log('WebGPU kernel');
      const info = await attachWebGpu(index);
      const gpuQueries = queries.slice(0, 10);
      const gpu = await timeEach(gpuQueries, (query) =>
        index.search(query, k, { backend: 'webgpu' }),
      );
      rows.push({
        path: `WebGPU (${info.architecture || info.vendor}${info.isFallbackAdapter ? ', software' : ''})`,
        rows: n,
        queries: gpuQueries.length,
        times: gpu.times,
        note: `${info.shards} GPU buffer(s)`,
      });
      agreements.push(
        agreement(
          'WebGPU',
          truth.slice(0, 10),
          gpu.results.map((r) => r.hits),
        ),
      );
      index.destroy();
    }

    if (request.largeRows > 0) {
      const big = request.largeRows;
      log(`building the ${big} × ${dims} index (generated block by block)`);
      blocks.length = 0;
      const large = await VectorIndex.build(unitBlocks(big, dims, request.seed + 7), {
        expectedRows: big,
      });
      shards.push({ rows: big, shards: large.shards.length });
      const largeQueries = queries.slice(0, request.largeQueries);
      log(`${big} rows: WASM SIMD`);
      const largeWasm = await timeEach(largeQueries, (query) =>
        large.search(query, k, { backend: 'wasm' }),
      );
      rows.push({
        path: `Lumina WASM SIMD, ${large.shards.length} shards`,
        rows: big,
        queries: largeQueries.length,
        times: largeWasm.times,
      });
      log(`${big} rows: int8 index`);
      const largeQuantized = await QuantizedIndex.build(large);
      const largeInt8 = await timeEach(largeQueries, (query) =>
        largeQuantized.search(query, k, { rerank: request.rerank }),
      );
      rows.push({
        path: `Lumina int8 + exact re-rank (${request.rerank}×k), ${largeQuantized.shards.length} shards`,
        rows: big,
        queries: largeQueries.length,
        times: largeInt8.times,
        recall: recallAtK(
          largeWasm.results.map((r) => r.hits),
          largeInt8.results.map((r) => r.hits),
          k,
        ),
      });
    }
    return { rows, userAgent: navigator.userAgent, shards, agreement: agreements };
  },
};

export type LuminaSearchBench = typeof luminaSearchBench;

Object.assign(globalThis, { luminaSearchBench });
document.title = 'lumina search bench ready';
