import type { Bm25Index, RankedItem } from '../lexical/index.ts';
import type { SearchFilter } from '../search/index.ts';

/** A chunk as RAG sees it: its text and where it lies in its document (UTF-16 offsets). */
export interface RagChunk {
  /** `<docId>#<index>`, in stored datasets and bundles alike. */
  id: string;
  docId: string;
  index: number;
  text: string;
  charStart: number;
  charEnd: number;
}

export interface SourceSearchOptions {
  where?: SearchFilter;
  signal?: AbortSignal;
}

/**
 * What retrieval needs of a dataset, whether stored in IndexedDB or read from a bundle: ranked
 * candidates from BM25 and from the vectors, the chunks themselves, and their vectors for MMR.
 */
export interface RagSource {
  /** Shown in answers ("I could not find this in <name>."). */
  readonly name: string;
  /** Length of the chunk vectors; null when the source has none (dense search and vector MMR off). */
  readonly dims: number | null;
  /** The BM25 index lexical search runs on (also used to normalise its scores). */
  lexicalIndex(signal?: AbortSignal): Promise<Bm25Index>;
  /** BM25 top `depth`, best first. */
  lexical(text: string, depth: number, options?: SourceSearchOptions): Promise<RankedItem[]>;
  /** Cosine top `depth` for a query vector of `dims` values, best first. */
  semantic(
    vector: Float32Array,
    depth: number,
    options?: SourceSearchOptions,
  ): Promise<RankedItem[]>;
  /** The chunks with these ids; ids that do not exist are missing from the map. */
  chunks(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, RagChunk>>;
  /** The chunk vectors with these ids (empty when `dims` is null). */
  vectors(ids: readonly string[], signal?: AbortSignal): Promise<Map<string, Float32Array>>;
}
