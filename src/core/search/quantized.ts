import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import { dotAt } from './kernels.ts';
import { batchDims, checkK, prepareQuery } from './query.ts';
import { RowScanner } from './scan.ts';
import { MAX_BATCH, Shard } from './shard.ts';
import { TopK, type SearchHit } from './top-k.ts';
import type { IndexSearchOptions, VectorIndex } from './vector-index.ts';
import { I8_STRIDE_ALIGN } from './wasm/kernel-module.ts';
import { wasmSimdAvailable } from './wasm/runtime.ts';

export interface QuantizedBuildOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Largest wasm memory one shard may use (default 256 MiB). */
  maxShardBytes?: number;
}

export interface QuantizedSearchOptions extends Omit<IndexSearchOptions, 'backend'> {
  /** Candidates kept from the int8 scan per result: k × rerank rows are re-scored exactly. */
  rerank?: number;
  /** `js` forces the typed-array int8 loop (for tests and engines without SIMD). */
  backend?: 'auto' | 'wasm' | 'js';
}

export interface QuantizedSearchResult {
  hits: SearchHit[][];
  backend: 'wasm' | 'js';
}

const DEFAULT_SHARD_BYTES = 256 * 2 ** 20;
const YIELD_EVERY_MS = 20;

/**
 * An int8 copy of a `VectorIndex` (one scale per row: the row's largest |value| maps to 127) that
 * scans a quarter of the bytes, keeps k × `rerank` candidates by the approximate score, and
 * re-scores those exactly from the float32 rows: the returned scores are exact; a true top-k row
 * can be missed only when its int8 score ranks below k × `rerank` others (see `recallAtK`).
 */
export class QuantizedIndex {
  readonly shards: Shard[] = [];
  /** Per-row dequantisation scale. */
  readonly scales: Float32Array;
  /** `scales × 1/‖row‖` for cosine, or null when rows are unit length (then `scales` serves). */
  private readonly cosineScales: Float32Array | null;

  private constructor(
    readonly source: VectorIndex,
    readonly strideBytes: number,
  ) {
    this.scales = new Float32Array(source.size);
    this.cosineScales = source.inverseNorms ? new Float32Array(source.size) : null;
  }

  static async build(
    source: VectorIndex,
    { signal, onProgress, maxShardBytes = DEFAULT_SHARD_BYTES }: QuantizedBuildOptions = {},
  ): Promise<QuantizedIndex> {
    throwIfAborted(signal);
    const progress = new ProgressReporter(onProgress);
    progress.start('Building the int8 index');
    const strideBytes = Math.max(
      I8_STRIDE_ALIGN,
      Math.ceil(source.dims / I8_STRIDE_ALIGN) * I8_STRIDE_ALIGN,
    );
    const index = new QuantizedIndex(source, strideBytes);
    const shardRows = Math.max(1, Math.floor(maxShardBytes / strideBytes));
    let lastYield = performance.now();
    for (let base = 0; base < source.size; base += shardRows) {
      const rows = Math.min(shardRows, source.size - base);
      const shard = new Shard(base, strideBytes, 2, rows, rows);
      shard.rows = rows;
      const bytes = new Int8Array(shard.memory.buffer);
      for (let row = base; row < base + rows; row++) {
        const vector = source.row(row);
        let max = 0;
        for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i] as number));
        const scale = max > 0 ? max / 127 : 0;
        const inverse = scale > 0 ? 1 / scale : 0;
        const at = shard.rowAddress(row - base);
        for (let i = 0; i < vector.length; i++) {
          bytes[at + i] = Math.round((vector[i] as number) * inverse);
        }
        index.scales[row] = scale;
        if (index.cosineScales && source.inverseNorms) {
          index.cosineScales[row] = scale * (source.inverseNorms[row] as number);
        }
        if ((row & 4095) === 0 && performance.now() - lastYield > YIELD_EVERY_MS) {
          progress.update(row, source.size, `${row} of ${source.size} rows`);
          await yieldToEventLoop();
          throwIfAborted(signal);
          lastYield = performance.now();
        }
      }
      index.shards.push(shard);
    }
    progress.finish();
    return index;
  }

  get size(): number {
    return this.source.size;
  }

  /** Bytes of int8 rows (the f32 rows it re-ranks from are the source index's). */
  get bytes(): number {
    return this.shards.reduce((sum, shard) => sum + shard.bytes, 0);
  }

  async search(
    query: Float32Array,
    k: number,
    options: QuantizedSearchOptions = {},
  ): Promise<{ hits: SearchHit[]; backend: 'wasm' | 'js' }> {
    const { hits, backend } = await this.searchBatch([query], k, options);
    return { hits: hits[0] ?? [], backend };
  }

  async searchBatch(
    queries: readonly Float32Array[],
    k: number,
    {
      metric = 'cosine',
      rerank = 10,
      mask = null,
      filter,
      signal,
      backend: choice = 'auto',
    }: QuantizedSearchOptions = {},
  ): Promise<QuantizedSearchResult> {
    checkK(k);
    throwIfAborted(signal);
    if (!(rerank >= 1)) throw new RangeError(`rerank must be ≥ 1, got ${rerank}.`);
    const wasm = choice === 'js' ? false : wasmSimdAvailable();
    if (choice === 'wasm' && !wasm) throw new Error('WebAssembly SIMD is not available here.');
    const backend = wasm ? 'wasm' : 'js';
    const { source } = this;
    const dims = batchDims(queries);
    if (this.size > 0 && dims !== source.dims) {
      throw new RangeError(`The query has ${dims} dims but the index has ${source.dims}.`);
    }
    const prepared = queries.map((query) => prepareQuery(query, metric));
    if (k === 0 || this.size === 0) return { hits: prepared.map(() => []), backend };
    const factors = metric === 'cosine' && this.cosineScales ? this.cosineScales : this.scales;
    const scanner = new RowScanner(source.chunkIds, factors, mask, filter ?? null);
    const candidates = prepared.map(() => new TopK(Math.ceil(k * rerank)));
    for (let first = 0; first < prepared.length; first += MAX_BATCH) {
      const group = prepared.slice(first, first + MAX_BATCH);
      await this.scan(group, wasm, signal, (q, scores, count, rowBase) =>
        scanner.scan(candidates[first + q] as TopK, scores, 0, count, rowBase),
      );
    }
    const inverse = metric === 'cosine' ? source.inverseNorms : null;
    const hits = candidates.map((heap, q) => {
      const query = prepared[q] as Float32Array;
      const exact = new TopK(k);
      const rows = heap.sortedEntries().sort((a, b) => a.seq - b.seq);
      for (const { seq: row, chunkId } of rows) {
        const dot = dotAt(query, source.row(row), 0);
        exact.push(inverse ? dot * (inverse[row] as number) : dot, row, chunkId);
      }
      return exact.sorted();
    });
    return { hits, backend };
  }

  /** Runs the int8 kernel (or loop) and hands approximate scores, already × query scale, on. */
  private async scan(
    queries: readonly Float32Array[],
    wasm: boolean,
    signal: AbortSignal | undefined,
    sink: (q: number, scores: Float64Array, count: number, rowBase: number) => void,
  ): Promise<void> {
    const { strideBytes } = this;
    const quantised = queries.map((query) => {
      let max = 0;
      for (const v of query) max = Math.max(max, Math.abs(v));
      const scale = max > 0 ? max / 127 : 0;
      const values = new Int16Array(strideBytes);
      for (let i = 0; i < query.length; i++) {
        values[i] = scale > 0 ? Math.round((query[i] as number) / scale) : 0;
      }
      return { values, scale };
    });
    let lastYield = performance.now();
    for (const shard of this.shards) {
      const int32 = new Int32Array(shard.memory.buffer);
      const int8 = new Int8Array(shard.memory.buffer);
      const int16 = new Int16Array(shard.memory.buffer);
      // The kernel reads int16 query element i against row byte i (two int16x8 loads per 16 bytes).
      quantised.forEach(({ values }, q) =>
        int16.set(values, (shard.queriesOffset + q * strideBytes * 2) / 2),
      );
      const scores = new Float64Array(shard.tileRows);
      for (let start = 0; start < shard.rows; start += shard.tileRows) {
        const count = Math.min(shard.tileRows, shard.rows - start);
        const rows = shard.rowAddress(start);
        for (let q = 0; q < quantised.length; q++) {
          const { values, scale } = quantised[q] as { values: Int16Array; scale: number };
          if (wasm && shard.kernels) {
            const out = shard.resultsOffset + q * shard.tileRows * 4;
            shard.kernels.dotI8(
              shard.queriesOffset + q * strideBytes * 2,
              rows,
              count,
              strideBytes,
              out,
            );
            for (let i = 0; i < count; i++) scores[i] = (int32[out / 4 + i] as number) * scale;
          } else {
            for (let i = 0, at = rows; i < count; i++, at += strideBytes) {
              let dot = 0;
              for (let j = 0; j < strideBytes; j++)
                dot += (int8[at + j] as number) * (values[j] as number);
              scores[i] = dot * scale;
            }
          }
          sink(q, scores, count, shard.rowBase + start);
        }
        if (signal && performance.now() - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          throwIfAborted(signal);
          lastYield = performance.now();
        }
      }
    }
  }
}

/**
 * Mean recall@k of approximate hit lists against exact ones: the share of each exact top-k list
 * (by chunk id) that the approximate list also returned.
 */
export function recallAtK(
  exact: readonly SearchHit[][],
  approximate: readonly SearchHit[][],
  k: number,
): number {
  if (exact.length !== approximate.length) throw new RangeError('Different numbers of queries.');
  let sum = 0;
  let counted = 0;
  exact.forEach((hits, q) => {
    const truth = hits.slice(0, k);
    if (truth.length === 0) return;
    const found = new Set((approximate[q] ?? []).slice(0, k).map((hit) => hit.chunkId));
    sum += truth.filter((hit) => found.has(hit.chunkId)).length / truth.length;
    counted++;
  });
  return counted ? sum / counted : 1;
}

/** Recall@k of the int8 index against the exact index over a sample of queries. */
export async function measureRecall(
  exact: VectorIndex,
  quantized: QuantizedIndex,
  queries: readonly Float32Array[],
  k: number,
  options: QuantizedSearchOptions = {},
): Promise<number> {
  const truth = await exact.searchBatch(queries, k, options);
  const approximate = await quantized.searchBatch(queries, k, options);
  return recallAtK(truth.hits, approximate.hits, k);
}
