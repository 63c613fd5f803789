import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import type { EmbeddingBlockRecord } from '../store/index.ts';
import { dotRows, inverseRowNorms } from './kernels.ts';
import { batchDims, checkK, prepareQuery, type SimilarityMetric } from './query.ts';
import { TopK, type SearchHit } from './top-k.ts';

export type { SimilarityMetric } from './query.ts';

/** What search needs of a stored embedding block (rows past `count` are ignored). */
export type VectorBlock = Pick<EmbeddingBlockRecord, 'dims' | 'count' | 'vectors' | 'chunkIds'>;

export type BlockSource = Iterable<VectorBlock> | AsyncIterable<VectorBlock>;

export interface ExactSearchOptions {
  /**
   * `cosine` (default) normalises the query and divides by each row's norm unless the block is
   * already unit length; `dot` scores raw dot products.
   */
  metric?: SimilarityMetric;
  /**
   * Keeps only chunks it accepts. It is asked only about rows that would enter the current top-k,
   * so it must be a pure function of the chunk id.
   */
  filter?: (chunkId: string) => boolean;
  signal?: AbortSignal;
}

/** Work this long between event-loop turns so an abort message can arrive. */
const YIELD_EVERY_MS = 20;

/** Reciprocal row norms per block buffer, so a cached block is measured once, not per query. */
const normCache = new WeakMap<Float32Array, { count: number; inverse: Float64Array | null }>();

function inverseNorms(block: VectorBlock): Float64Array | null {
  const cached = normCache.get(block.vectors);
  if (cached && cached.count === block.count) return cached.inverse;
  const inverse = inverseRowNorms(block.vectors, block.count, block.dims);
  normCache.set(block.vectors, { count: block.count, inverse });
  return inverse;
}

export function checkBlock(block: VectorBlock, dims: number): void {
  if (block.dims !== dims) {
    throw new RangeError(`The query has ${dims} dims but an embedding block has ${block.dims}.`);
  }
  if (block.count * dims > block.vectors.length || block.chunkIds.length < block.count) {
    throw new RangeError(
      `An embedding block claims ${block.count} rows but holds ${block.vectors.length / dims} vectors and ${block.chunkIds.length} chunk ids.`,
    );
  }
}

/**
 * Exact top-k of several queries over the same blocks in one pass: each block is read once and
 * scored against every query while it is in cache. Returns one best-first hit list per query.
 */
export async function searchBlocksBatch(
  blocks: BlockSource,
  queries: readonly Float32Array[],
  k: number,
  { metric = 'cosine', filter, signal }: ExactSearchOptions = {},
): Promise<SearchHit[][]> {
  checkK(k);
  throwIfAborted(signal);
  const dims = batchDims(queries);
  const prepared = queries.map((query) => prepareQuery(query, metric));
  const heaps = prepared.map(() => new TopK(k));
  if (k === 0 || prepared.length === 0) return heaps.map(() => []);

  let scores = new Float64Array(0);
  let seqBase = 0;
  let lastYield = performance.now();
  for await (const block of blocks) {
    throwIfAborted(signal);
    checkBlock(block, dims);
    const { count, chunkIds } = block;
    if (scores.length < count) scores = new Float64Array(count);
    const inverse = metric === 'cosine' ? inverseNorms(block) : null;
    // 0 = not asked yet, 1 = kept, 2 = filtered out; shared by the queries of this block.
    const verdicts = filter ? new Uint8Array(count) : null;
    for (let q = 0; q < prepared.length; q++) {
      const heap = heaps[q] as TopK;
      dotRows(prepared[q] as Float32Array, block.vectors, count, scores);
      let threshold = heap.threshold;
      for (let row = 0; row < count; row++) {
        const score = inverse
          ? (scores[row] as number) * (inverse[row] as number)
          : (scores[row] as number);
        if (!(score > threshold)) continue;
        const id = chunkIds[row] as string;
        if (verdicts) {
          if (verdicts[row] === 0) verdicts[row] = filter?.(id) ? 1 : 2;
          if (verdicts[row] === 2) continue;
        }
        heap.push(score, seqBase + row, id);
        threshold = heap.threshold;
      }
    }
    seqBase += count;
    if (signal && performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      throwIfAborted(signal);
      lastYield = performance.now();
    }
  }
  return heaps.map((heap) => heap.sorted());
}

/**
 * Exact top-k chunks for one query, best first; ties keep the row met first. Scans every row
 * once and keeps only k candidates (a bounded heap), never sorting all scores.
 */
export async function searchBlocks(
  blocks: BlockSource,
  query: Float32Array,
  k: number,
  options: ExactSearchOptions = {},
): Promise<SearchHit[]> {
  const [hits] = await searchBlocksBatch(blocks, [query], k, options);
  return hits ?? [];
}
