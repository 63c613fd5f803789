import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import {
  findNearDuplicates,
  groupsToCsv,
  groupsToJsonl,
  pairsToCsv,
  pairsToJsonl,
  type DuplicatePair,
} from '../../../src/core/analyze/index.ts';
import { gaussian } from './synthetic.ts';

/** Random rows (not normalised) with planted near-copies, including a chain 0 ~ 1 ~ 2. */
function data(n: number, dims: number, seed: number) {
  const next = gaussian(seed);
  const vectors = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dims; j++) {
      const copyOf = i % 10 === 1 ? i - 1 : i % 10 === 2 ? i - 1 : -1;
      vectors[i * dims + j] =
        copyOf >= 0 ? (vectors[copyOf * dims + j] as number) * 3 + 0.15 * next() : next();
    }
  }
  return { vectors, dims, ids: Array.from({ length: n }, (_, i) => `row,"${i}"`) };
}

function bruteForce(vectors: Float32Array, dims: number, threshold: number) {
  const n = vectors.length / dims;
  const pairs: [number, number, number][] = [];
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let j = 0; j < dims; j++) {
        const x = vectors[a * dims + j] as number;
        const y = vectors[b * dims + j] as number;
        dot += x * y;
        na += x * x;
        nb += y * y;
      }
      const score = dot / Math.sqrt(na * nb);
      if (score >= threshold) pairs.push([a, b, score]);
    }
  }
  return pairs;
}

/** Components by repeated merging, independent of the union-find under test. */
function bruteGroups(pairs: [number, number, number][]): number[][] {
  let groups: Set<number>[] = [];
  for (const [a, b] of pairs) {
    const touching = groups.filter((g) => g.has(a) || g.has(b));
    const merged = new Set<number>([a, b, ...touching.flatMap((g) => [...g])]);
    groups = [...groups.filter((g) => !touching.includes(g)), merged];
  }
  return groups
    .map((g) => [...g].sort((x, y) => x - y))
    .sort((x, y) => (x[0] as number) - (y[0] as number));
}

describe('findNearDuplicates', () => {
  for (const [dims, threshold] of [
    [64, 0.9],
    [8, 0.8],
    [40, 0.3],
  ] as const) {
    it(`matches brute force (${dims} dims, threshold ${threshold})`, async () => {
      const input = data(301, dims, dims);
      const expected = bruteForce(input.vectors, dims, threshold);
      expect(expected.length).toBeGreaterThan(20);
      const result = await findNearDuplicates(input, { threshold, blockSize: 32 });
      const key = (a: number, b: number) => `${a}-${b}`;
      expect(new Set(result.pairs.map((p) => key(p.rowA, p.rowB)))).toEqual(
        new Set(expected.map(([a, b]) => key(a, b))),
      );
      const byKey = new Map(expected.map(([a, b, s]) => [key(a, b), s]));
      for (const pair of result.pairs) {
        expect(pair.score).toBeCloseTo(byKey.get(key(pair.rowA, pair.rowB)) as number, 5);
        expect(pair.a).toBe(input.ids[pair.rowA]);
        expect(pair.rowA).toBeLessThan(pair.rowB);
      }
      const scores = result.pairs.map((p) => p.score);
      expect(scores).toEqual([...scores].sort((x, y) => y - x));
      const groups = [...result.groups]
        .map((g) => g.rows)
        .sort((x, y) => (x[0] as number) - (y[0] as number));
      expect(groups).toEqual(bruteGroups(expected));
      const sizes = result.groups.map((g) => g.members.length);
      expect(sizes).toEqual([...sizes].sort((x, y) => y - x));
    });
  }

  it('groups chains of duplicates', async () => {
    const result = await findNearDuplicates(data(30, 16, 5), { threshold: 0.9 });
    expect(result.groups.map((g) => g.rows)).toEqual([
      [0, 1, 2],
      [10, 11, 12],
      [20, 21, 22],
    ]);
  });

  it('refuses more pairs than maxPairs and bad thresholds', async () => {
    await expect(
      findNearDuplicates(data(40, 8, 1), { threshold: 0.01, maxPairs: 5 }),
    ).rejects.toThrow(/raise the threshold/);
    await expect(findNearDuplicates(data(4, 8, 1), { threshold: 0 })).rejects.toThrow(RangeError);
  });

  it('reports progress and aborts', async () => {
    const statuses: string[] = [];
    await findNearDuplicates(data(20, 8, 1), { onProgress: (e) => statuses.push(e.status) });
    expect(statuses[0]).toBe('start');
    expect(statuses.at(-1)).toBe('done');
    const controller = new AbortController();
    const run = findNearDuplicates(data(200, 8, 1), {
      blockSize: 16,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.status === 'start') controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('duplicate export', () => {
  const pairs: DuplicatePair[] = [
    { a: 'x,"1"', b: 'line\nbreak', score: 0.97, rowA: 0, rowB: 1 },
    { a: 'plain', b: 'y', score: 0.9, rowA: 2, rowB: 3 },
  ];
  const groups = [{ group: 0, members: ['x,"1"', 'line\nbreak'], rows: [0, 1] }];

  it('quotes CSV fields so they parse back', () => {
    const csv = pairsToCsv(pairs);
    expect(csv.split('\n')[0]).toBe('a,b,score');
    expect(csv).toContain('"x,""1"""');
    const parsed = Papa.parse<string[]>(csv).data;
    expect(parsed).toEqual([
      ['a', 'b', 'score'],
      ['x,"1"', 'line\nbreak', '0.97'],
      ['plain', 'y', '0.9'],
    ]);
    expect(Papa.parse<string[]>(groupsToCsv(groups)).data).toEqual([
      ['group', 'size', 'member'],
      ['0', '2', 'x,"1"'],
      ['0', '2', 'line\nbreak'],
    ]);
  });

  it('writes one JSON object per line', () => {
    const lines = pairsToJsonl(pairs).split('\n');
    expect(lines.at(-1)).toBe('');
    expect(JSON.parse(lines[0] as string)).toEqual({ a: 'x,"1"', b: 'line\nbreak', score: 0.97 });
    expect(JSON.parse(groupsToJsonl(groups).trim())).toEqual({
      group: 0,
      members: ['x,"1"', 'line\nbreak'],
    });
  });
});
