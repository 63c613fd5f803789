import {
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
  type EmbeddingBlockRecord,
  type LuminaStore,
} from '../../store/index.ts';

/**
 * Appends vectors row by row into fixed-size blocks. Only the last, partly filled block is held;
 * `append` returns the blocks it touched so the caller can store them with its cursor.
 */
export class BlockWriter {
  private constructor(
    private readonly datasetId: string,
    private readonly setId: string,
    private readonly dims: number,
    private block: EmbeddingBlockRecord,
    private rowCount: number,
  ) {}

  /** Continues a set that has `rows` rows stored (0 for a new set). */
  static async open(
    store: LuminaStore,
    datasetId: string,
    setId: string,
    dims: number,
    rows: number,
  ): Promise<BlockWriter> {
    const blockIndex = Math.floor(rows / EMBEDDING_BLOCK_ROWS);
    const used = rows % EMBEDDING_BLOCK_ROWS;
    let block = emptyEmbeddingBlock(datasetId, setId, blockIndex, dims);
    if (used > 0) {
      const stored = await store.getEmbeddingBlock(datasetId, setId, blockIndex);
      if (!stored || stored.count < used || stored.dims !== dims) {
        throw new Error(
          `Embedding set ${setId} should have ${rows} rows of ${dims} values, but block ` +
            `${blockIndex} is ${stored ? `${stored.count} rows of ${stored.dims}` : 'missing'}.`,
        );
      }
      // Rows past the cursor were never acknowledged; they are overwritten.
      block = { ...stored, count: used, chunkIds: stored.chunkIds.slice(0, used) };
      block.vectors.fill(0, used * dims);
    }
    return new BlockWriter(datasetId, setId, dims, block, rows);
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Adds one row per id (`vectors` is `ids.length × dims`); returns the blocks that changed. */
  append(ids: readonly string[], vectors: Float32Array): EmbeddingBlockRecord[] {
    if (vectors.length !== ids.length * this.dims) {
      throw new Error(
        `Expected ${ids.length} × ${this.dims} values for set ${this.setId}, got ${vectors.length}.`,
      );
    }
    const touched: EmbeddingBlockRecord[] = [];
    ids.forEach((id, i) => {
      if (this.block.count === EMBEDDING_BLOCK_ROWS) {
        this.block = emptyEmbeddingBlock(
          this.datasetId,
          this.setId,
          this.block.blockIndex + 1,
          this.dims,
        );
      }
      if (touched.at(-1) !== this.block) touched.push(this.block);
      const row = this.block.count;
      this.block.vectors.set(vectors.subarray(i * this.dims, (i + 1) * this.dims), row * this.dims);
      this.block.chunkIds.push(id);
      this.block.count = row + 1;
    });
    this.rowCount += ids.length;
    return touched;
  }
}

/** The row ids stored in rows `[from, to)` of a set, read block by block. */
export async function idsInRows(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  from: number,
  to: number,
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let row = from; row < to;) {
    const blockIndex = Math.floor(row / EMBEDDING_BLOCK_ROWS);
    const block = await store.getEmbeddingBlock(datasetId, setId, blockIndex);
    const start = row - blockIndex * EMBEDDING_BLOCK_ROWS;
    const end = Math.min(EMBEDDING_BLOCK_ROWS, to - blockIndex * EMBEDDING_BLOCK_ROWS);
    if (!block || block.count < end) {
      throw new Error(`Embedding set ${setId} is missing rows ${row}…${to - 1}.`);
    }
    for (const id of block.chunkIds.slice(start, end)) ids.add(id);
    row = blockIndex * EMBEDDING_BLOCK_ROWS + end;
  }
  return ids;
}
