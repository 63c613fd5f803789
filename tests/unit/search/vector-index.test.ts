import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  QuantizedIndex,
  measureRecall,
  recallAtK,
  searchBlocks,
  VectorIndex,
  wasmSimdAvailable,
  type SearchHit,
} from '../../../src/core/search/index.ts';
import { kernelModuleBytes } from '../../../src/core/search/wasm/kernel-module.ts';
import { s32, u32 } from '../../../src/core/search/wasm/emit.ts';
import { mulberry32 as seededRandom } from '../../../src/core/prepare/index.ts';
import { vectorBlocks } from '../../support/vector-blocks.ts';

/** Independent reference: plain loops, full stable sort, cut at k. */
function reference(
  rows: readonly (readonly number[])[],
  query: readonly number[],
  k: number,
  keep: (row: number) => boolean = () => true,
): SearchHit[] {
  return rows
    .map((row, i) => ({
      chunkId: `c${i}`,
      score: row.reduce((s, v, j) => s + v * (query[j] ?? 0), 0),
      i,
    }))
    .filter((hit) => keep(hit.i))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map(({ chunkId, score }) => ({ chunkId, score }));
}

function unitRows(n: number, dims: number, random: () => number): number[][] {
  return Array.from({ length: n }, () => {
    const row = Array.from({ length: dims }, () => random() * 2 - 1);
    const length = Math.hypot(...row);
    return row.map((v) => v / length);
  });
}

// Small integers keep every dot product exact in float32, so results must match exactly, ties too.
const scenario = fc.integer({ min: 1, max: 70 }).chain((dims) =>
  fc.record({
    dims: fc.constant(dims),
    rows: fc.array(
      fc.array(fc.integer({ min: -3, max: 3 }), { minLength: dims, maxLength: dims }),
      {
        maxLength: 90,
      },
    ),
    query: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: dims, maxLength: dims }),
    k: fc.integer({ min: 0, max: 100 }),
    blockSize: fc.integer({ min: 1, max: 40 }),
    shardRows: fc.integer({ min: 1, max: 50 }),
    masked: fc.array(fc.integer({ min: 0, max: 89 }), { maxLength: 30 }),
  }),
);

describe('the WebAssembly SIMD kernel module', () => {
  it('validates in this engine and encodes LEB128 as the spec says', () => {
    expect(wasmSimdAvailable()).toBe(true);
    // Magic number and version, then the sections in order: type, import, function, export, code.
    expect([...kernelModuleBytes().subarray(0, 8)]).toEqual([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(u32(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(s32(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(s32(64)).toEqual([0xc0, 0x00]);
  });
});

describe('VectorIndex', () => {
  it('equals a brute-force sort on every backend, any block split and shard size, with masks', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ dims, rows, query, k, blockSize, shardRows, masked }) => {
        const strideBytes = Math.ceil(dims / 16) * 64;
        const index = await VectorIndex.build(vectorBlocks(rows, dims, blockSize), {
          maxShardBytes: shardRows * strideBytes,
        });
        expect(index.size).toBe(rows.length);
        const q = Float32Array.from(query);
        const out = new Set(masked);
        const mask = Uint8Array.from(rows, (_, i) => (out.has(i) ? 0 : 1));
        for (const backend of ['wasm', 'js'] as const) {
          const plain = await index.search(q, k, { metric: 'dot', backend });
          expect(plain.backend).toBe(backend);
          expect(plain.hits).toEqual(reference(rows, query, k));
          const filtered = await index.search(q, k, { metric: 'dot', backend, mask });
          expect(filtered.hits).toEqual(reference(rows, query, k, (i) => !out.has(i)));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('matches searchBlocks under cosine on rows that are not unit length, across shards and batches', async () => {
    const random = seededRandom(21);
    const dims = 50;
    const rows = unitRows(3000, dims, random).map((row) =>
      row.map((v) => v * (0.2 + 3 * random())),
    );
    rows[17] = new Array<number>(dims).fill(0);
    const blocks = vectorBlocks(rows, dims, 1024);
    const index = await VectorIndex.build(blocks, { maxShardBytes: 700 * 64 * 4 });
    expect(index.shards.length).toBe(5);
    expect(index.inverseNorms).not.toBeNull();
    const queries = Array.from({ length: 20 }, () =>
      Float32Array.from(unitRows(1, dims, random)[0] ?? []),
    );
    const filter = (id: string) => !id.endsWith('3');
    for (const backend of ['wasm', 'js'] as const) {
      const batch = await index.searchBatch(queries, 15, { backend, filter });
      for (const [q, query] of queries.entries()) {
        const expected = await searchBlocks(blocks, query, 15, { filter });
        const hits = batch.hits[q] ?? [];
        expect(hits.map((h) => h.chunkId)).toEqual(expected.map((h) => h.chunkId));
        hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]?.score ?? NaN, 5));
      }
    }
  });

  it('refuses bad input and a forced backend it cannot run, and stops when aborted', async () => {
    const index = await VectorIndex.build(
      vectorBlocks(
        [
          [1, 0],
          [0, 1],
        ],
        2,
        2,
      ),
    );
    await expect(index.search(Float32Array.of(1, 0, 0), 1)).rejects.toThrow(/dims/);
    await expect(index.search(Float32Array.of(0, 0), 1)).rejects.toThrow(/non-zero/);
    await expect(index.search(Float32Array.of(1, 0), 1, { backend: 'webgpu' })).rejects.toThrow(
      /WebGPU/,
    );
    await expect(
      index.search(Float32Array.of(1, 0), 1, { mask: new Uint8Array(5) }),
    ).rejects.toThrow(/mask/);
    const controller = new AbortController();
    controller.abort();
    await expect(
      index.search(Float32Array.of(1, 0), 1, { signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    await expect(VectorIndex.build([], { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    const empty = await VectorIndex.build([]);
    expect((await empty.search(Float32Array.of(1, 0), 3)).hits).toEqual([]);
  });
});

describe('QuantizedIndex', () => {
  it('returns exact scores, equals exact search when every row is re-ranked, and agrees across backends', async () => {
    const random = seededRandom(4);
    const dims = 45;
    const rows = unitRows(600, dims, random);
    const index = await VectorIndex.build(vectorBlocks(rows, dims, 256), {
      maxShardBytes: 200 * 256,
    });
    const quantized = await QuantizedIndex.build(index, { maxShardBytes: 250 * 64 });
    expect(quantized.shards.length).toBe(3);
    const queries = unitRows(10, dims, random).map((row) => Float32Array.from(row));
    const exact = await index.searchBatch(queries, 10, { metric: 'dot' });
    // k × rerank ≥ rows: every row is re-scored, so the result is the exact one.
    const full = await quantized.searchBatch(queries, 10, { metric: 'dot', rerank: 60 });
    full.hits.forEach((hits, q) => {
      expect(hits.map((h) => h.chunkId)).toEqual(exact.hits[q]?.map((h) => h.chunkId));
      hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(exact.hits[q]?.[i]?.score ?? NaN, 5));
    });
    const wasm = await quantized.searchBatch(queries, 10, { rerank: 3, backend: 'wasm' });
    const js = await quantized.searchBatch(queries, 10, { rerank: 3, backend: 'js' });
    expect(wasm.backend).toBe('wasm');
    expect(js.backend).toBe('js');
    expect(wasm.hits).toEqual(js.hits);
    // Returned scores are the exact scores of the returned rows.
    for (const hit of wasm.hits.flat()) {
      const row = rows[Number(hit.chunkId.slice(1))] ?? [];
      const q = wasm.hits.findIndex((hits) => hits.includes(hit));
      const query = queries[q] ?? new Float32Array(dims);
      const expected = row.reduce((s, v, j) => s + v * (query[j] ?? 0), 0);
      expect(hit.score).toBeCloseTo(expected, 5);
    }
    const recall = await measureRecall(index, quantized, queries, 10, { rerank: 3 });
    expect(recall).toBeGreaterThanOrEqual(0.9);
    expect(recall).toBeLessThanOrEqual(1);
  });

  it('computes recall@k as the share of exact ids found', () => {
    const hit = (chunkId: string): SearchHit => ({ chunkId, score: 0 });
    const exact = [[hit('a'), hit('b')], [hit('c'), hit('d')], []];
    const approx = [[hit('b'), hit('x')], [hit('c'), hit('d')], [hit('z')]];
    expect(recallAtK(exact, approx, 2)).toBeCloseTo(0.75, 10);
  });
});
