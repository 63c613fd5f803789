import type { TopK } from './top-k.ts';

/** Per-row eligibility: rows whose byte is 0 are never returned. One byte per row of an index. */
export type RowMask = Uint8Array;

/**
 * Turns a run of raw scores into top-k candidates: applies the cosine row scaling, the row mask
 * and the chunk-id filter, and offers only scores above the heap's current threshold, so almost
 * every row costs one comparison and nothing is sorted.
 */
export class RowScanner {
  /** 0 = not asked yet, 1 = kept, 2 = filtered out: the filter is asked once per row. */
  private readonly verdicts: Uint8Array | null;

  constructor(
    private readonly chunkIds: readonly string[],
    private readonly inverseNorms: Float32Array | null,
    private readonly mask: RowMask | null,
    private readonly filter: ((chunkId: string) => boolean) | null,
  ) {
    this.verdicts = filter ? new Uint8Array(chunkIds.length) : null;
  }

  /** Offers `count` scores read from `scores[offset…]`, for the rows starting at `rowBase`. */
  scan(
    heap: TopK,
    scores: ArrayLike<number>,
    offset: number,
    count: number,
    rowBase: number,
  ): void {
    const { inverseNorms: inverse, mask, chunkIds } = this;
    let threshold = heap.threshold;
    for (let i = 0; i < count; i++) {
      const row = rowBase + i;
      const raw = scores[offset + i] as number;
      const score = inverse ? raw * (inverse[row] as number) : raw;
      if (!(score > threshold)) continue;
      if (mask && mask[row] === 0) continue;
      if (!this.accepts(row)) continue;
      heap.push(score, row, chunkIds[row] as string);
      threshold = heap.threshold;
    }
  }

  private accepts(row: number): boolean {
    const { verdicts, filter } = this;
    if (!verdicts || !filter) return true;
    if (verdicts[row] === 0) verdicts[row] = filter(this.chunkIds[row] as string) ? 1 : 2;
    return verdicts[row] === 1;
  }
}
