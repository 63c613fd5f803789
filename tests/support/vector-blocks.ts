import type { VectorBlock } from '../../src/core/search/index.ts';

/**
 * Rows cut into blocks of `size` rows, as the store keeps them: each block's vectors sized for a
 * full block, `count` the rows in use, chunk ids `c<row>`.
 */
export function vectorBlocks(
  rows: readonly (readonly number[] | Float32Array)[],
  dims: number,
  size = 512,
): VectorBlock[] {
  const blocks: VectorBlock[] = [];
  for (let start = 0; start < rows.length; start += size) {
    const slice = rows.slice(start, start + size);
    const vectors = new Float32Array(size * dims);
    slice.forEach((row, i) => vectors.set(row, i * dims));
    blocks.push({
      dims,
      count: slice.length,
      vectors,
      chunkIds: slice.map((_, i) => `c${start + i}`),
    });
  }
  return blocks;
}
