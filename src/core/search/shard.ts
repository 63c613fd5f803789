import {
  createMemory,
  instantiateKernels,
  pagesFor,
  type Kernels,
  type WasmMemory,
} from './wasm/runtime.ts';

/** Queries scored per pass over the rows: a batch reads each tile of rows once for all of them. */
export const MAX_BATCH = 16;
/** Rows per kernel call, sized so a tile of 384-dim f32 rows stays in a typical L2 cache. */
const TILE_BYTES = 256 * 1024;

/**
 * One wasm memory holding a contiguous range of rows, with a small header the kernels use:
 * `[queries: MAX_BATCH × stride][results: MAX_BATCH × tile × 4][rows…]`. Rows are appended;
 * the memory grows as they arrive. A shard is one memory so a set larger than one memory can hold
 * (or than is wise to allocate in one piece) is split across several.
 */
export class Shard {
  readonly memory: WasmMemory;
  readonly kernels: Kernels | null;
  readonly tileRows: number;
  readonly queriesOffset = 0;
  readonly resultsOffset: number;
  readonly rowsOffset: number;
  rows = 0;

  constructor(
    /** Global index of this shard's first row. */
    readonly rowBase: number,
    /** Bytes per row (zero-padded to the kernel's alignment). */
    readonly strideBytes: number,
    /** Bytes per query element in the header: 4 for f32 queries, 2 per row byte for int8 rows. */
    queryBytesPerRowByte: number,
    /** The most rows this shard will hold; growth never reserves past them. */
    readonly maxRows: number,
    initialRows: number,
  ) {
    this.tileRows = Math.max(16, Math.floor(TILE_BYTES / strideBytes));
    this.resultsOffset = MAX_BATCH * strideBytes * queryBytesPerRowByte;
    this.rowsOffset = this.resultsOffset + MAX_BATCH * this.tileRows * 4;
    this.memory = createMemory(pagesFor(this.rowsOffset + initialRows * strideBytes));
    this.kernels = instantiateKernels(this.memory);
  }

  /** Makes room for `rows` rows in total, growing by at least half again to amortise copies. */
  reserve(rows: number): void {
    if (rows > this.maxRows) throw new RangeError(`A shard holds at most ${this.maxRows} rows.`);
    const needed = pagesFor(this.rowsOffset + rows * this.strideBytes);
    const current = this.memory.buffer.byteLength / 65536;
    if (needed <= current) return;
    const ceiling = pagesFor(this.rowsOffset + this.maxRows * this.strideBytes);
    this.memory.grow(Math.min(ceiling, Math.max(needed, Math.ceil(current * 1.5))) - current);
  }

  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Byte address of a row (local index) in this shard's memory. */
  rowAddress(localRow: number): number {
    return this.rowsOffset + localRow * this.strideBytes;
  }
}
