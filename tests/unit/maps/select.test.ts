import { describe, expect, it } from 'vitest';
import { pointInPolygon, rowsInRegion } from '../../../src/core/maps/index.ts';

describe('map selection', () => {
  // A 5 × 5 grid of points at integer coordinates, rows in x-major order.
  const grid = Float32Array.from({ length: 50 }, (_, i) =>
    i % 2 === 0 ? Math.floor(i / 2 / 5) : (i / 2 - 0.5) % 5,
  );

  it('selects the rows inside a rectangle, edges included, corners in any order', () => {
    const rows = rowsInRegion(grid, 2, { kind: 'rect', x: [3, 1], y: [0, 1] });
    // x in {1, 2, 3}, y in {0, 1}: rows x*5 + y.
    expect(rows).toEqual([5, 6, 10, 11, 15, 16]);
  });

  it('selects the rows inside a lasso polygon', () => {
    const triangle = [
      [-0.5, -0.5],
      [4.5, -0.5],
      [-0.5, 4.5],
    ] as const;
    const rows = rowsInRegion(grid, 2, { kind: 'polygon', points: triangle });
    // Points with x + y < 4 lie inside the triangle x + y < 4 (its hypotenuse).
    const expected = Array.from({ length: 25 }, (_, r) => r).filter(
      (r) => Math.floor(r / 5) + (r % 5) < 4,
    );
    expect(rows).toEqual(expected);
    expect(pointInPolygon(4, 4, triangle)).toBe(false);
  });

  it('reads x and y from the first two of three dims', () => {
    const points3d = Float32Array.from([0, 0, 9, 5, 5, 9]);
    expect(rowsInRegion(points3d, 3, { kind: 'rect', x: [4, 6], y: [4, 6] })).toEqual([1]);
  });
});
