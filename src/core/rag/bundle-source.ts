import { throwIfAborted } from '../abort.ts';
import { bundleChunkId, type Bundle, type BundleChunk } from '../bundle/index.ts';
import { Bm25Index, type Bm25BuildOptions, type RankedItem } from '../lexical/index.ts';
import {
  documentMatches,
  isEmptyFilter,
  searchBlocks,
  type SearchFilter,
} from '../search/index.ts';
import type { RagChunk, RagSource, SourceSearchOptions } from './source.ts';

export interface BundleSourceOptions {
  /** Shown in answers; default the bundle's model id is no good, so the caller names it. */
  name: string;
  /** Settings of the BM25 index built over the chunks on first use. */
  bm25?: Omit<Bm25BuildOptions, 'signal' | 'onProgress'>;
}

/** Chunks in memory with their vectors (row i of `embeddings` is chunk i), or none. */
export interface InMemoryChunks {
  chunks: readonly BundleChunk[];
  /** Row-major [chunks.length × dims]; null for a text-only source (BM25 only). */
  embeddings: Float32Array | null;
  dims: number | null;
}

/**
 * Chunks held in memory as a RAG source — a bundle read with `readBundle`, or any chunk list:
 * BM25 built on first use, exact cosine over the vectors.
 */
export class BundleRagSource implements RagSource {
  readonly name: string;
  readonly dims: number | null;
  private readonly rows = new Map<string, number>();
  private readonly metadata = new Map<string, BundleChunk>();
  private readonly ids: string[];
  private bm25: Promise<Bm25Index> | undefined;

  static fromBundle(
    bundle: Pick<Bundle, 'chunks' | 'embeddings' | 'manifest'>,
    options: BundleSourceOptions,
  ): BundleRagSource {
    return new BundleRagSource(
      { chunks: bundle.chunks, embeddings: bundle.embeddings, dims: bundle.manifest.model.dims },
      options,
    );
  }

  constructor(
    private readonly bundle: InMemoryChunks,
    private readonly options: BundleSourceOptions,
  ) {
    this.name = options.name;
    if ((bundle.embeddings === null) !== (bundle.dims === null)) {
      throw new Error('Give both embeddings and dims, or neither.');
    }
    if (
      bundle.embeddings &&
      bundle.dims &&
      bundle.embeddings.length !== bundle.chunks.length * bundle.dims
    ) {
      throw new RangeError(
        `${bundle.embeddings.length} values do not make ${bundle.chunks.length} vectors of ${bundle.dims} dims.`,
      );
    }
    this.dims = bundle.dims;
    this.ids = bundle.chunks.map((chunk) => bundleChunkId(chunk.docId, chunk.chunkIndex));
    bundle.chunks.forEach((chunk, row) => {
      const id = bundleChunkId(chunk.docId, chunk.chunkIndex);
      this.rows.set(id, row);
      this.metadata.set(id, chunk);
    });
  }

  lexicalIndex(signal?: AbortSignal): Promise<Bm25Index> {
    this.bm25 ??= Bm25Index.build(
      this.bundle.chunks.map((chunk, row) => ({ id: this.ids[row] as string, text: chunk.text })),
      { ...(this.options.bm25 ?? {}), ...(signal ? { signal } : {}) },
    );
    // A build aborted by one caller must not poison the next one.
    this.bm25.catch(() => {
      this.bm25 = undefined;
    });
    return this.bm25;
  }

  async lexical(
    text: string,
    depth: number,
    options: SourceSearchOptions = {},
  ): Promise<RankedItem[]> {
    const index = await this.lexicalIndex(options.signal);
    const filter = this.filterOf(options.where);
    return index.search(text, depth, filter ? { filter } : {});
  }

  async semantic(
    vector: Float32Array,
    depth: number,
    options: SourceSearchOptions = {},
  ): Promise<RankedItem[]> {
    const { embeddings, dims } = this.bundle;
    if (embeddings === null || dims === null) throw new Error(`${this.name} has no vectors.`);
    const block = {
      dims,
      count: this.bundle.chunks.length,
      vectors: embeddings,
      chunkIds: this.ids,
    };
    const filter = this.filterOf(options.where);
    const hits = await searchBlocks([block], vector, depth, {
      metric: 'cosine',
      ...(filter ? { filter } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return hits.map((hit) => ({ id: hit.chunkId, score: hit.score }));
  }

  chunks(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, RagChunk>> {
    throwIfAborted(signal);
    const out = new Map<string, RagChunk>();
    for (const id of ids) {
      const chunk = this.metadata.get(id);
      if (!chunk) continue;
      out.set(id, {
        id,
        docId: chunk.docId,
        index: chunk.chunkIndex,
        text: chunk.text,
        charStart: chunk.charStart,
        charEnd: chunk.charEnd,
      });
    }
    return Promise.resolve(out);
  }

  vectors(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, Float32Array>> {
    throwIfAborted(signal);
    const out = new Map<string, Float32Array>();
    const { embeddings, dims } = this.bundle;
    if (embeddings === null || dims === null) return Promise.resolve(out);
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row !== undefined) out.set(id, embeddings.subarray(row * dims, (row + 1) * dims));
    }
    return Promise.resolve(out);
  }

  /** Bundle chunks carry their document's source and metadata, so filters need no document table. */
  private filterOf(where: SearchFilter | undefined): ((id: string) => boolean) | undefined {
    if (!where || isEmptyFilter(where)) return undefined;
    return (id) => {
      const chunk = this.metadata.get(id);
      return (
        chunk !== undefined &&
        documentMatches({ id: chunk.docId, source: chunk.source, metadata: chunk.metadata }, where)
      );
    };
  }
}
