import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dotAt,
  searchBlocks,
  searchBlocksBatch,
  type SearchHit,
  type VectorBlock,
} from '../../../src/core/search/index.ts';
import { mulberry32 as seededRandom } from '../../../src/core/prepare/index.ts';

function block(
  rows: readonly (readonly number[])[],
  ids: readonly string[],
  dims: number,
): VectorBlock {
  const vectors = new Float32Array(Math.max(rows.length, 1) * dims + dims);
  rows.forEach((row, i) => vectors.set(row, i * dims));
  return { dims, count: rows.length, vectors, chunkIds: [...ids] };
}

/** Splits rows into blocks of the given sizes (the rest in one last block). */
function toBlocks(rows: number[][], dims: number, sizes: number[]): VectorBlock[] {
  const blocks: VectorBlock[] = [];
  let start = 0;
  for (const size of [...sizes, rows.length]) {
    if (start >= rows.length) break;
    const slice = rows.slice(start, start + size);
    blocks.push(
      block(
        slice,
        slice.map((_, i) => `c${start + i}`),
        dims,
      ),
    );
    start += slice.length;
  }
  return blocks;
}

/** The reference: score every row, stable-sort everything (ties keep scan order), cut at k. */
function bruteForce(
  rows: number[][],
  query: Float32Array,
  k: number,
  keep: (id: string) => boolean = () => true,
): SearchHit[] {
  const dims = query.length;
  const all = rows.map((row, i) => {
    const vectors = Float32Array.from(row);
    return { chunkId: `c${i}`, score: dotAt(query, vectors, 0), dims };
  });
  return all
    .filter((hit) => keep(hit.chunkId))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map(({ chunkId, score }) => ({ chunkId, score }));
}

function naiveCosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    na += (a[i] ?? 0) ** 2;
    nb += (b[i] ?? 0) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

function randomRows(n: number, dims: number, random: () => number, unit = false): Float32Array {
  const out = new Float32Array(n * dims);
  for (let i = 0; i < out.length; i++) out[i] = random() * 2 - 1;
  if (unit) {
    for (let r = 0; r < n; r++) {
      const row = out.subarray(r * dims, (r + 1) * dims);
      const length = Math.hypot(...row);
      for (let j = 0; j < dims; j++) row[j] = (row[j] ?? 0) / length;
    }
  }
  return out;
}

// Small integers make ties common, so tie order is exercised as much as ranking.
const scenario = fc.integer({ min: 1, max: 9 }).chain((dims) =>
  fc.record({
    dims: fc.constant(dims),
    rows: fc.array(
      fc.array(fc.integer({ min: -3, max: 3 }), { minLength: dims, maxLength: dims }),
      {
        maxLength: 60,
      },
    ),
    query: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: dims, maxLength: dims }),
    k: fc.integer({ min: 0, max: 70 }),
    sizes: fc.array(fc.integer({ min: 1, max: 17 }), { maxLength: 6 }),
    rejected: fc.array(fc.integer({ min: 0, max: 59 }), { maxLength: 20 }),
  }),
);

describe('searchBlocks', () => {
  it('equals a brute-force sort, ties in scan order, across any block split', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ dims, rows, query, k, sizes }) => {
        const q = Float32Array.from(query);
        const hits = await searchBlocks(toBlocks(rows, dims, sizes), q, k, { metric: 'dot' });
        expect(hits).toEqual(bruteForce(rows, q, k));
      }),
      { numRuns: 300 },
    );
  });

  it('applies the filter exactly as filtering before ranking would', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ dims, rows, query, k, sizes, rejected }) => {
        const q = Float32Array.from(query);
        const out = new Set(rejected.map((i) => `c${i}`));
        const keep = (id: string) => !out.has(id);
        const hits = await searchBlocks(toBlocks(rows, dims, sizes), q, k, {
          metric: 'dot',
          filter: keep,
        });
        expect(hits).toEqual(bruteForce(rows, q, k, keep));
      }),
      { numRuns: 300 },
    );
  });

  it('ranks by cosine on vectors that are not unit length', async () => {
    const random = seededRandom(7);
    const dims = 37;
    const n = 900;
    const data = randomRows(n, dims, random);
    for (let r = 0; r < n; r++) {
      const scale = 0.1 + 5 * random();
      for (let j = 0; j < dims; j++) data[r * dims + j] = (data[r * dims + j] ?? 0) * scale;
    }
    const ids = Array.from({ length: n }, (_, i) => `c${i}`);
    const blocks: VectorBlock[] = [0, 512].map((start) => ({
      dims,
      count: Math.min(512, n - start),
      vectors: data.slice(start * dims, (start + 512) * dims),
      chunkIds: ids.slice(start, start + 512),
    }));
    const query = randomRows(1, dims, random);
    const expected = ids
      .map((chunkId, i) => ({
        chunkId,
        score: naiveCosine(query, data.subarray(i * dims, (i + 1) * dims)),
      }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 25);
    const hits = await searchBlocks(blocks, query, 25);
    expect(hits.map((h) => h.chunkId)).toEqual(expected.map((h) => h.chunkId));
    hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i]?.score ?? NaN, 6));
    // Scaling the query changes nothing under cosine.
    const scaled = await searchBlocks(
      blocks,
      query.map((v) => v * 40),
      25,
    );
    expect(scaled.map((h) => h.chunkId)).toEqual(hits.map((h) => h.chunkId));
    scaled.forEach((hit, i) => expect(hit.score).toBeCloseTo(hits[i]?.score ?? NaN, 6));
  });

  it('returns every row when k exceeds them, and nothing for k = 0', async () => {
    const rows = [
      [1, 0],
      [0, 1],
      [0.6, 0.8],
    ];
    const blocks = toBlocks(rows, 2, [2]);
    const hits = await searchBlocks(blocks, Float32Array.of(1, 0), 10);
    expect(hits.map((h) => h.chunkId)).toEqual(['c0', 'c2', 'c1']);
    expect(await searchBlocks(blocks, Float32Array.of(1, 0), 0)).toEqual([]);
    expect(await searchBlocks([], Float32Array.of(1, 0), 5)).toEqual([]);
    await expect(searchBlocks(blocks, Float32Array.of(1, 0), 1.5)).rejects.toThrow(RangeError);
  });

  it('keeps the earliest rows among equal scores', async () => {
    const rows = Array.from({ length: 50 }, () => [0.6, 0.8]);
    const hits = await searchBlocks(toBlocks(rows, 2, [7, 7, 7]), Float32Array.of(3, 4), 5);
    expect(hits.map((h) => h.chunkId)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(new Set(hits.map((h) => h.score)).size).toBe(1);
  });

  it('never returns NaN: broken rows are skipped, zero rows score 0, bad queries are refused', async () => {
    const rows = [
      [NaN, 1],
      [0, 0],
      [1, 0],
      [Infinity, -Infinity],
    ];
    const blocks = toBlocks(rows, 2, []);
    for (const metric of ['cosine', 'dot'] as const) {
      const hits = await searchBlocks(blocks, Float32Array.of(-1, 0), 10, { metric });
      expect(hits.every((h) => Number.isFinite(h.score))).toBe(true);
      expect(hits.map((h) => h.chunkId)).toEqual(['c1', 'c2']);
      expect(hits[0]?.score).toBe(0);
    }
    await expect(searchBlocks(blocks, Float32Array.of(NaN, 1), 3)).rejects.toThrow(RangeError);
    await expect(searchBlocks(blocks, Float32Array.of(0, 0), 3)).rejects.toThrow(/non-zero/);
    await expect(searchBlocks(blocks, Float32Array.of(1, 0, 0), 3)).rejects.toThrow(/dims/);
  });

  it('stops when aborted, before or during the scan', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => [i, 1]);
    const blocks = toBlocks(rows, 2, [10, 10, 10]);
    const before = new AbortController();
    before.abort();
    await expect(
      searchBlocks(blocks, Float32Array.of(1, 1), 3, { signal: before.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });

    const during = new AbortController();
    let served = 0;
    async function* slowBlocks(): AsyncGenerator<VectorBlock> {
      for (const b of blocks) {
        served++;
        if (served === 2) during.abort();
        yield b;
      }
    }
    await expect(
      searchBlocks(slowBlocks(), Float32Array.of(1, 1), 3, { signal: during.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(served).toBe(2);
  });

  it('gives the same hits from async and sync sources, and per query in a batch', async () => {
    const random = seededRandom(3);
    const dims = 16;
    const n = 3000;
    const data = randomRows(n, dims, random, true);
    const blocks: VectorBlock[] = [];
    for (let start = 0; start < n; start += 1024) {
      const count = Math.min(1024, n - start);
      const vectors = new Float32Array(1024 * dims);
      vectors.set(data.subarray(start * dims, (start + count) * dims));
      blocks.push({
        dims,
        count,
        vectors,
        chunkIds: Array.from({ length: count }, (_, i) => `c${start + i}`),
      });
    }
    async function* asyncBlocks(): AsyncGenerator<VectorBlock> {
      yield* blocks;
    }
    const queries = Array.from({ length: 5 }, () => randomRows(1, dims, random));
    const filter = (id: string) => !id.endsWith('7');
    const batch = await searchBlocksBatch(asyncBlocks(), queries, 12, { filter });
    expect(batch).toHaveLength(5);
    for (const [i, query] of queries.entries()) {
      const single = await searchBlocks(blocks, query, 12, { filter });
      expect(batch[i]).toEqual(single);
      expect(single).toHaveLength(12);
      expect(single.some((h) => h.chunkId.endsWith('7'))).toBe(false);
      const scores = single.map((h) => h.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
  });
});

describe('dotAt', () => {
  it('matches a plain loop for every tail length and row offset', () => {
    const random = seededRandom(11);
    for (let dims = 1; dims <= 13; dims++) {
      const vectors = randomRows(5, dims, random);
      const query = randomRows(1, dims, random);
      for (let row = 0; row < 5; row++) {
        let expected = 0;
        for (let j = 0; j < dims; j++) expected += (query[j] ?? 0) * (vectors[row * dims + j] ?? 0);
        expect(dotAt(query, vectors, row * dims)).toBeCloseTo(expected, 12);
      }
    }
  });
});

describe('exact search speed (printed, not asserted)', () => {
  it('top-10 over 100k × 384 unit vectors', async () => {
    const dims = 384;
    const rowsPerBlock = 1024;
    const n = 100_000;
    const random = seededRandom(5);
    const blocks: VectorBlock[] = [];
    for (let start = 0; start < n; start += rowsPerBlock) {
      const count = Math.min(rowsPerBlock, n - start);
      const vectors = new Float32Array(rowsPerBlock * dims);
      vectors.set(randomRows(count, dims, random, true));
      blocks.push({
        dims,
        count,
        vectors,
        chunkIds: Array.from({ length: count }, (_, i) => `c${start + i}`),
      });
    }
    const queries = Array.from({ length: 20 }, () => randomRows(1, dims, random, true));
    const time = async (label: string, run: () => Promise<unknown>, repeats: number) => {
      await run();
      const times: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const t0 = performance.now();
        await run();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const p50 = times[Math.floor(times.length / 2)] ?? NaN;
      console.log(
        `[search bench] ${label}: p50 ${p50.toFixed(1)} ms, min ${times[0]?.toFixed(1)} ms`,
      );
      return p50;
    };
    let q = 0;
    const next = () => queries[q++ % queries.length] as Float32Array;
    await time(
      '100k×384 top-10 dot',
      () => searchBlocks(blocks, next(), 10, { metric: 'dot' }),
      15,
    );
    await time('100k×384 top-10 cosine', () => searchBlocks(blocks, next(), 10), 15);
    const batchMs = await time(
      '100k×384 top-10 batch of 8 (total)',
      () => searchBlocksBatch(blocks, queries.slice(0, 8), 10),
      3,
    );
    console.log(`[search bench] batch per query ${(batchMs / 8).toFixed(1)} ms`);
    const hits = await searchBlocks(blocks, blocks[0]?.vectors.slice(0, dims) ?? next(), 10);
    expect(hits[0]).toMatchObject({ chunkId: 'c0' });
    expect(hits[0]?.score).toBeCloseTo(1, 5);
  }, 120_000);
});
