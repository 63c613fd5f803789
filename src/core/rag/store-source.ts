import type { RankedItem } from '../lexical/index.ts';
import { lookupChunks, searchDataset, type SearchCaches } from '../search/index.ts';
import type { LuminaStore } from '../store/index.ts';
import type { Bm25Index } from '../lexical/index.ts';
import type { VectorIndex } from '../search/index.ts';
import type { RagChunk, RagSource, SourceSearchOptions } from './source.ts';

export interface StoreSourceOptions {
  datasetId: string;
  /** Shown in answers. */
  name: string;
  /** A finished embedding set of the dataset; without it only BM25 runs and MMR uses term overlap. */
  setId?: string;
  /** Length of the set's vectors (required with `setId`). */
  dims?: number;
}

/** A stored dataset as a RAG source, through the search view's caches (one index per set). */
export class StoreRagSource implements RagSource {
  readonly name: string;
  readonly dims: number | null;

  constructor(
    private readonly store: LuminaStore,
    private readonly caches: SearchCaches,
    private readonly options: StoreSourceOptions,
  ) {
    this.name = options.name;
    if (options.setId !== undefined && options.dims === undefined) {
      throw new Error('A stored RAG source with an embedding set needs its dims.');
    }
    this.dims = options.setId === undefined ? null : (options.dims ?? null);
  }

  lexicalIndex(signal?: AbortSignal): Promise<Bm25Index> {
    return this.caches.lexical.index(this.options.datasetId, signal ? { signal } : {});
  }

  async lexical(
    text: string,
    depth: number,
    options: SourceSearchOptions = {},
  ): Promise<RankedItem[]> {
    const result = await searchDataset(
      this.store,
      this.caches,
      this.options.datasetId,
      [{ text }],
      {
        mode: 'lexical',
        k: depth,
        ...(options.where ? { where: options.where } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    return (result.hits[0] ?? []).map((hit) => ({ id: hit.chunkId, score: hit.score }));
  }

  async semantic(
    vector: Float32Array,
    depth: number,
    options: SourceSearchOptions = {},
  ): Promise<RankedItem[]> {
    const setId = this.requireSet();
    const result = await searchDataset(
      this.store,
      this.caches,
      this.options.datasetId,
      [{ text: '', vector }],
      {
        mode: 'semantic',
        k: depth,
        setId,
        metric: 'cosine',
        ...(options.where ? { where: options.where } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    return (result.hits[0] ?? []).map((hit) => ({ id: hit.chunkId, score: hit.score }));
  }

  async chunks(ids: readonly string[]): Promise<Map<string, RagChunk>> {
    const joined = await lookupChunks(this.store, this.options.datasetId, ids);
    const out = new Map<string, RagChunk>();
    for (const [id, { chunk }] of joined) {
      out.set(id, {
        id,
        docId: chunk.docId,
        index: chunk.index,
        text: chunk.text,
        charStart: chunk.charStart,
        charEnd: chunk.charEnd,
      });
    }
    return out;
  }

  async vectors(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    if (this.options.setId === undefined) return out;
    const index: VectorIndex = await this.caches.vectors.index(
      this.options.datasetId,
      this.options.setId,
      signal ? { signal } : {},
    );
    const rows = rowsOf(index);
    for (const id of ids) {
      const row = rows.get(id);
      if (row !== undefined) out.set(id, index.row(row));
    }
    return out;
  }

  private requireSet(): string {
    if (this.options.setId === undefined) {
      throw new Error(`Dense retrieval over ${this.name} needs a finished embedding set.`);
    }
    return this.options.setId;
  }
}

const rowMaps = new WeakMap<VectorIndex, Map<string, number>>();

/** chunk id → row, built once per index (an index is replaced when its set changes). */
function rowsOf(index: VectorIndex): Map<string, number> {
  let rows = rowMaps.get(index);
  if (!rows) {
    rows = new Map(index.chunkIds.map((id, row) => [id, row]));
    rowMaps.set(index, rows);
  }
  return rows;
}
