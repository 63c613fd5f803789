/**
 * Bundle v1: the zip Lumina exports embeddings in. `docs/bundle-format.md` is the specification;
 * the names and shapes here are the single source of it in code.
 */

import type { ProgressCallback } from '../progress.ts';
import type { JsonValue, Metadata } from '../types.ts';
import type { BundleSelection } from './selection.ts';

export const BUNDLE_FORMAT = 'lumina-bundle';
export const BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_EXTENSION = '.lumina';

export const MANIFEST_FILE = 'manifest.json';
export const EMBEDDINGS_FILE = 'embeddings.safetensors';
export const CHUNKS_FILE = 'chunks.parquet';
export const DOCUMENTS_FILE = 'documents.parquet';
/** Files every v1 bundle holds besides the manifest, in the order they are zipped. */
export const REQUIRED_FILES = [EMBEDDINGS_FILE, CHUNKS_FILE, DOCUMENTS_FILE] as const;

export const CHUNK_EMBEDDINGS_TENSOR = 'embeddings';
export const DOC_EMBEDDINGS_TENSOR = 'doc_embeddings';

/** Parquet INT32 columns hold offsets and counts; larger values cannot be written. */
export const MAX_INT32 = 2_147_483_647;

export type BundlePooling = 'mean' | 'cls' | 'last_token';
export type BundleDtype = 'fp32' | 'fp16' | 'q8';
export const BUNDLE_POOLINGS: readonly BundlePooling[] = ['mean', 'cls', 'last_token'];
export const BUNDLE_DTYPES: readonly BundleDtype[] = ['fp32', 'fp16', 'q8'];

/** How the vectors were made: enough to embed a query the same way. */
export interface BundleModel {
  /** Hub id, folder name or Lumina model id. */
  id: string;
  /** Hub revision (commit or tag) when known; `weightsSha256` identifies the weights otherwise. */
  revision: string | null;
  /** Lowercase hex sha256 of the weights file that ran (e.g. `onnx/model.onnx`), when known. */
  weightsSha256: string | null;
  /** Length of every vector in the bundle (after any Matryoshka truncation). */
  dims: number;
  pooling: BundlePooling;
  /** Whether chunk vectors were L2-normalised. */
  normalize: boolean;
  dtype: BundleDtype;
  maxTokens: number;
  queryPrefix: string;
  documentPrefix: string;
}

/** The chunker's settings; the three named ones are always present, others depend on the mode. */
export interface BundleChunking {
  mode: string;
  chunkTokens: number;
  overlapTokens: number;
  [setting: string]: JsonValue;
}

export interface BundleFileEntry {
  sha256: string;
  bytes: number;
}

/** A document with no average embedding, listed in the manifest instead of a zero vector. */
export interface MissingDocEmbedding {
  docId: string;
  source: string;
  reason: string;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: typeof BUNDLE_FORMAT_VERSION;
  appVersion: string;
  /** ISO 8601 time the bundle was written. */
  created: string;
  model: BundleModel;
  chunking: BundleChunking;
  /** `documents` counts rows of documents.parquet (= rows of `doc_embeddings`). */
  counts: { documents: number; chunks: number };
  missingDocEmbeddings: MissingDocEmbedding[];
  /** Present only when the bundle holds part of an embedding set: how that part was chosen. */
  selection?: BundleSelection;
  /** Every file in the zip except manifest.json, by path. */
  files: Record<string, BundleFileEntry>;
}

/** One row of chunks.parquet; its id there is `<docId>#<chunkIndex>`. */
export interface BundleChunk {
  docId: string;
  chunkIndex: number;
  source: string;
  /** Equals the document text between charStart and charEnd (UTF-16 code-unit offsets). */
  text: string;
  charStart: number;
  charEnd: number;
  tokenCount: number;
  metadata: Metadata;
}

/** One row of documents.parquet: a document that has an average embedding. */
export interface BundleDocument {
  docId: string;
  source: string;
  /** Length of the document text in UTF-16 code units (JavaScript string length). */
  charCount: number;
  /** Rows of chunks.parquet that belong to this document. */
  chunkCount: number;
  metadata: Metadata;
  /** The full text; written only when every document carries it. */
  text?: string;
}

/** What a bundle is written from; counts, hashes and the format fields are derived. */
export interface BundleInput {
  appVersion: string;
  /** ISO 8601; defaults to now. Fixing it makes the same input give byte-identical bundles. */
  created?: string;
  model: BundleModel;
  chunking: BundleChunking;
  chunks: BundleChunk[];
  /** Row-major [chunks.length, model.dims]; row i belongs to chunks[i]. */
  embeddings: Float32Array;
  documents: BundleDocument[];
  /** Row-major [documents.length, model.dims]; row j belongs to documents[j]. */
  docEmbeddings: Float32Array;
  missingDocEmbeddings?: MissingDocEmbedding[];
  /** Marks the bundle as a subset of its embedding set (manifest `selection`). */
  selection?: BundleSelection;
}

/** A bundle as read back, every check passed. */
export interface Bundle {
  manifest: BundleManifest;
  chunks: BundleChunk[];
  embeddings: Float32Array;
  documents: BundleDocument[];
  docEmbeddings: Float32Array;
}

export interface BundleControl {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** A bundle that cannot be written or read; names the file and field at fault where there is one. */
export class BundleError extends Error {
  override name = 'BundleError';

  /** Reads as "file: field message", e.g. "chunks.parquet: row 3 char_end must be …". */
  constructor(
    message: string,
    readonly file?: string,
    readonly field?: string,
  ) {
    super(`${file ? `${file}: ` : ''}${field ? `${field} ` : ''}${message}`);
  }
}

export function bundleChunkId(docId: string, chunkIndex: number): string {
  return `${docId}#${chunkIndex}`;
}
