import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import { checkBlock, type BlockSource } from './exact.ts';
import { dotRows } from './kernels.ts';
import { batchDims, checkK, prepareQuery, type SimilarityMetric } from './query.ts';
import { RowScanner, type RowMask } from './scan.ts';
import { MAX_BATCH, Shard } from './shard.ts';
import { TopK, type SearchHit } from './top-k.ts';
import { F32_STRIDE_ALIGN } from './wasm/kernel-module.ts';
import { wasmSimdAvailable } from './wasm/runtime.ts';

/** Where the dot products of a search are computed. */
export type SearchBackend = 'wasm' | 'webgpu' | 'js';
/** `auto` = WebAssembly SIMD where the engine has it, else the typed-array loop. */
export type BackendChoice = 'auto' | SearchBackend;

/** Receives raw dot products of query `query` with rows `rowBase…rowBase + count − 1`. */
export type ScoreSink = (
  query: number,
  scores: Float32Array | Float64Array,
  offset: number,
  count: number,
  rowBase: number,
) => void;

/** A GPU scorer attached to an index (see `webgpu.ts`). */
export interface GpuScorer {
  /** Scores every row against each query (at most MAX_BATCH, already prepared for the metric). */
  score(queries: readonly Float32Array[], sink: ScoreSink, signal?: AbortSignal): Promise<void>;
  destroy(): void;
}

export interface BuildOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Rows expected, for progress only. */
  expectedRows?: number;
  /** Largest wasm memory one shard may use (default 256 MiB); larger sets get more shards. */
  maxShardBytes?: number;
}

export interface IndexSearchOptions {
  metric?: SimilarityMetric;
  backend?: BackendChoice;
  /** Only rows whose byte is non-zero can be returned (see `filters.ts` for building one). */
  mask?: RowMask | null;
  /** Keeps only chunks it accepts; a pure function of the chunk id. */
  filter?: (chunkId: string) => boolean;
  signal?: AbortSignal;
}

export interface IndexSearchResult {
  /** One best-first hit list per query. */
  hits: SearchHit[][];
  /** The path that computed the scores. */
  backend: SearchBackend;
}

const DEFAULT_SHARD_BYTES = 256 * 2 ** 20;
const YIELD_EVERY_MS = 20;
/** Norms within this distance of 1 count as unit (same rule as `inverseRowNorms`). */
const UNIT_TOLERANCE = 1e-4;

/**
 * An in-memory exact vector index over an embedding set: rows copied once into wasm memories
 * (shards), scored by a WebAssembly SIMD kernel, a typed-array loop, or a WebGPU kernel, with a
 * bounded top-k heap over the scores. Results equal `searchBlocks` up to float32 rounding of the
 * scores (the kernels accumulate in float32).
 */
export class VectorIndex {
  readonly shards: Shard[] = [];
  readonly chunkIds: string[] = [];
  /** Reciprocal row norms for cosine, or null when every row is unit length. */
  inverseNorms: Float32Array | null = null;
  /** Row masks of resolved filters, by the filter's key; they live as long as the index. */
  readonly masks = new Map<string, RowMask>();
  private gpu: GpuScorer | null = null;

  private constructor(
    readonly dims: number,
    readonly strideFloats: number,
    private readonly maxShardRows: number,
  ) {}

  get size(): number {
    return this.chunkIds.length;
  }

  get strideBytes(): number {
    return this.strideFloats * 4;
  }

  /** Copies every row of `blocks` into the index (one pass; the blocks can be dropped after). */
  static async build(
    blocks: BlockSource,
    { signal, onProgress, expectedRows, maxShardBytes = DEFAULT_SHARD_BYTES }: BuildOptions = {},
  ): Promise<VectorIndex> {
    throwIfAborted(signal);
    const progress = new ProgressReporter(onProgress);
    progress.start('Building the search index');
    let index: VectorIndex | null = null;
    const norms: number[] = [];
    let allUnit = true;
    for await (const block of blocks) {
      throwIfAborted(signal);
      if (!index) {
        const strideFloats = Math.ceil(block.dims / F32_STRIDE_ALIGN) * F32_STRIDE_ALIGN;
        const maxRows = Math.max(1, Math.floor(maxShardBytes / (strideFloats * 4)));
        index = new VectorIndex(block.dims, strideFloats, maxRows);
      }
      checkBlock(block, index.dims);
      for (let row = 0; row < block.count; row++) {
        const source = block.vectors.subarray(row * block.dims, (row + 1) * block.dims);
        const length = index.append(source, block.chunkIds[row] as string, expectedRows);
        if (Math.abs(length - 1) > UNIT_TOLERANCE) allUnit = false;
        norms.push(length);
      }
      if (expectedRows) progress.update(index.size, expectedRows, `${index.size} rows`);
    }
    const built = index ?? new VectorIndex(0, 0, 1);
    if (!allUnit) built.inverseNorms = Float32Array.from(norms, (n) => (n > 0 ? 1 / n : 0));
    progress.finish(`${built.size} rows in ${built.shards.length} shard(s)`);
    return built;
  }

  /** Appends one row and returns its Euclidean norm. */
  private append(vector: Float32Array, chunkId: string, expectedRows = 0): number {
    let shard = this.shards.at(-1);
    if (!shard || shard.rows === this.maxShardRows) {
      const initial = Math.min(this.maxShardRows, Math.max(1024, expectedRows - this.size));
      shard = new Shard(this.size, this.strideBytes, 1, this.maxShardRows, initial);
      this.shards.push(shard);
    }
    shard.reserve(shard.rows + 1);
    const target = new Float32Array(shard.memory.buffer, shard.rowAddress(shard.rows), this.dims);
    target.set(vector);
    let sum = 0;
    for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) * (vector[i] as number);
    shard.rows++;
    this.chunkIds.push(chunkId);
    return Math.sqrt(sum);
  }

  /** The stored row `row` (a view into its shard's memory, `dims` long). */
  row(row: number): Float32Array {
    const shard = this.shardOf(row);
    return new Float32Array(shard.memory.buffer, shard.rowAddress(row - shard.rowBase), this.dims);
  }

  shardOf(row: number): Shard {
    const found = this.shards[Math.floor(row / this.maxShardRows)];
    if (!found || row < 0 || row >= this.size) throw new RangeError(`No row ${row} in the index.`);
    return found;
  }

  /** Which backend `choice` runs here; throws when a forced one is unavailable (no silent fallback). */
  resolveBackend(choice: BackendChoice = 'auto'): SearchBackend {
    if (choice === 'auto') return wasmSimdAvailable() ? 'wasm' : 'js';
    if (choice === 'wasm' && !wasmSimdAvailable())
      throw new Error('WebAssembly SIMD is not available in this engine: use the js backend.');
    if (choice === 'webgpu' && !this.gpu)
      throw new Error('No WebGPU scorer is attached to this index (see createWebGpuScorer).');
    return choice;
  }

  attachGpu(scorer: GpuScorer | null): void {
    if (this.gpu && this.gpu !== scorer) this.gpu.destroy();
    this.gpu = scorer;
  }

  get hasGpu(): boolean {
    return this.gpu !== null;
  }

  /** Frees the GPU buffers; the wasm memories go with the last reference to the index. */
  destroy(): void {
    this.attachGpu(null);
  }

  async search(
    query: Float32Array,
    k: number,
    options: IndexSearchOptions = {},
  ): Promise<{ hits: SearchHit[]; backend: SearchBackend }> {
    const { hits, backend } = await this.searchBatch([query], k, options);
    return { hits: hits[0] ?? [], backend };
  }

  /**
   * Exact top-k of each query, best first; ties keep the lower row. Queries are scored in groups
   * of up to 16 per pass, so a batch reads the rows once per group rather than once per query.
   */
  async searchBatch(
    queries: readonly Float32Array[],
    k: number,
    { metric = 'cosine', backend: choice, mask = null, filter, signal }: IndexSearchOptions = {},
  ): Promise<IndexSearchResult> {
    checkK(k);
    throwIfAborted(signal);
    const backend = this.resolveBackend(choice);
    const dims = batchDims(queries);
    if (this.size > 0 && dims !== this.dims) {
      throw new RangeError(`The query has ${dims} dims but the index has ${this.dims}.`);
    }
    if (mask && mask.length !== this.size) {
      throw new RangeError(`The row mask has ${mask.length} entries for ${this.size} rows.`);
    }
    const prepared = queries.map((query) => prepareQuery(query, metric));
    const heaps = prepared.map(() => new TopK(k));
    if (k > 0 && this.size > 0) {
      const scanner = new RowScanner(
        this.chunkIds,
        metric === 'cosine' ? this.inverseNorms : null,
        mask,
        filter ?? null,
      );
      for (let first = 0; first < prepared.length; first += MAX_BATCH) {
        const group = prepared.slice(first, first + MAX_BATCH);
        const sink: ScoreSink = (q, scores, offset, count, rowBase) =>
          scanner.scan(heaps[first + q] as TopK, scores, offset, count, rowBase);
        if (backend === 'webgpu') await this.gpu?.score(group, sink, signal);
        else await this.scoreOnCpu(group, backend === 'wasm', sink, signal);
      }
    }
    return { hits: heaps.map((heap) => heap.sorted()), backend };
  }

  private async scoreOnCpu(
    queries: readonly Float32Array[],
    wasm: boolean,
    sink: ScoreSink,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const padded = queries.map((query) => {
      const out = new Float32Array(this.strideFloats);
      out.set(query);
      return out;
    });
    let lastYield = performance.now();
    for (const shard of this.shards) {
      const memory = new Float32Array(shard.memory.buffer);
      padded.forEach((query, q) =>
        memory.set(query, (shard.queriesOffset + q * shard.strideBytes) / 4),
      );
      const scratch = wasm ? null : new Float64Array(shard.tileRows);
      for (let start = 0; start < shard.rows; start += shard.tileRows) {
        const count = Math.min(shard.tileRows, shard.rows - start);
        const rows = shard.rowAddress(start);
        for (let q = 0; q < padded.length; q++) {
          if (shard.kernels && wasm) {
            const out = shard.resultsOffset + q * shard.tileRows * 4;
            shard.kernels.dotF32(
              shard.queriesOffset + q * shard.strideBytes,
              rows,
              count,
              shard.strideBytes,
              out,
            );
            sink(q, memory, out / 4, count, shard.rowBase + start);
          } else if (scratch) {
            const view = memory.subarray(rows / 4, rows / 4 + count * this.strideFloats);
            dotRows(padded[q] as Float32Array, view, count, scratch);
            sink(q, scratch, 0, count, shard.rowBase + start);
          }
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
