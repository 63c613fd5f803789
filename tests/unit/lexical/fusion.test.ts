import { describe, expect, it } from 'vitest';
import {
  convexFusion,
  minMaxNormalize,
  reciprocalRankFusion,
  weightedScoreFusion,
} from '../../../src/core/lexical/index.ts';

const a = [
  { id: 'x', score: 10 },
  { id: 'y', score: 5 },
  { id: 'z', score: 0 },
];
const b = [
  { id: 'y', score: 2 },
  { id: 'w', score: 1 },
];

describe('reciprocalRankFusion', () => {
  it('sums 1 / (k + rank) over the lists', () => {
    const fused = reciprocalRankFusion([a, b]);
    expect(fused.map((item) => item.id)).toEqual(['y', 'x', 'w', 'z']);
    expect(fused[0]?.score).toBeCloseTo(1 / 62 + 1 / 61, 15);
    expect(fused[2]?.score).toBeCloseTo(1 / 62, 15);
    const weighted = reciprocalRankFusion([a, b], { k: 0, weights: [1, 0], limit: 2 });
    expect(weighted).toEqual([
      { id: 'x', score: 1 },
      { id: 'y', score: 0.5 },
    ]);
    expect(() => reciprocalRankFusion([a, b], { weights: [1] })).toThrow(RangeError);
  });
});

describe('weighted score fusion', () => {
  it('min-max normalises each list', () => {
    expect([...minMaxNormalize(a)]).toEqual([
      ['x', 1],
      ['y', 0.5],
      ['z', 0],
    ]);
    expect([...minMaxNormalize([{ id: 'q', score: 3 }])]).toEqual([['q', 1]]);
  });

  it('mixes the lists with alpha, missing ids scoring 0', () => {
    const fused = convexFusion(a, b, 0.5);
    expect(fused).toEqual([
      { id: 'y', score: 0.75 },
      { id: 'x', score: 0.5 },
      { id: 'z', score: 0 },
      { id: 'w', score: 0 },
    ]);
    expect(convexFusion(a, b, 1).map((item) => item.id)).toEqual(['x', 'y', 'z', 'w']);
    expect(weightedScoreFusion([a, b], { weights: [0.2, 0.8], limit: 1 })).toEqual([
      { id: 'y', score: 0.2 * 0.5 + 0.8 },
    ]);
    expect(() => convexFusion(a, b, 1.5)).toThrow(RangeError);
  });
});
