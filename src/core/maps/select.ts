/** A region drawn on a 2D map, in data coordinates (as echarts' brush reports `coordRange`). */
export type MapRegion =
  | { kind: 'rect'; x: [number, number]; y: [number, number] }
  | { kind: 'polygon'; points: readonly (readonly [number, number])[] };

/**
 * Rows of a 2D map (`values` = [rows × dims], x and y first) inside the region. Computed here
 * rather than taken from the chart, so large (progressive) series and lasso shapes select the
 * same way and the chart never has to hand over 50k indexes.
 */
export function rowsInRegion(values: ArrayLike<number>, dims: number, region: MapRegion): number[] {
  const rows = Math.floor(values.length / dims);
  const inside: number[] = [];
  if (region.kind === 'rect') {
    const [x0, x1] = [Math.min(...region.x), Math.max(...region.x)];
    const [y0, y1] = [Math.min(...region.y), Math.max(...region.y)];
    for (let row = 0; row < rows; row++) {
      const x = values[row * dims] as number;
      const y = values[row * dims + 1] as number;
      if (x >= x0 && x <= x1 && y >= y0 && y <= y1) inside.push(row);
    }
    return inside;
  }
  const { points } = region;
  if (points.length < 3) return inside;
  for (let row = 0; row < rows; row++) {
    if (pointInPolygon(values[row * dims] as number, values[row * dims + 1] as number, points))
      inside.push(row);
  }
  return inside;
}

/** Even-odd ray casting. */
export function pointInPolygon(
  x: number,
  y: number,
  points: readonly (readonly [number, number])[],
): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i] as readonly [number, number];
    const [xj, yj] = points[j] as readonly [number, number];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
