import type { FileFormat, FileMessage, JsonValue, Metadata, SplitName } from '../types.ts';

/** Rows per embedding block: vectors are stored in fixed-size blocks, never one record per vector. */
export const EMBEDDING_BLOCK_ROWS = 1024;

/** Chunking settings as stored; any JSON-like settings object (optional fields allowed). */
export type ChunkingSettings = { readonly [key: string]: JsonValue | undefined };

/** Times are epoch milliseconds (`Date.now()`). */
export interface DatasetRecord {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
  documentCount: number;
  chunkCount: number;
  /** Sum of the stored documents' text lengths (UTF-16 code units), kept in step with them. */
  bytes: number;
  /** The chunking settings the stored chunks were made with. */
  chunking?: ChunkingSettings;
  tokenizer?: string;
}

export type DatasetSettings = Pick<DatasetRecord, 'chunking' | 'tokenizer'>;

/** One ingested file; its key lets a re-added identical file be recognised. */
export interface FileRecord {
  datasetId: string;
  /** sha256 (hex) of the file's content. */
  hash: string;
  name: string;
  path: string;
  bytes: number;
  /** null when the file type was not recognised (the messages say why). */
  format: FileFormat | null;
  /** Number of documents the file produced. */
  documents: number;
  messages: FileMessage[];
  addedAt: number;
  /**
   * 'ingesting' while its documents are being written: a record left in that state (tab closed,
   * worker killed) marks a half-ingested file whose documents are removed on the next ingest.
   */
  state?: 'ingesting' | 'done';
}

export interface DocumentRecord {
  datasetId: string;
  /** The user's id (see `SourceDocument.id`), unique within the dataset. */
  id: string;
  source: string;
  text: string;
  metadata: Metadata;
  charCount: number;
  fileHash: string;
}

export interface ChunkRecord {
  datasetId: string;
  /** `${docId}#${index}` */
  id: string;
  docId: string;
  index: number;
  text: string;
  charStart: number;
  charEnd: number;
  tokenCount: number;
}

export interface EmbeddingBlockRecord {
  datasetId: string;
  /** Which embedding run (model and settings) the vectors belong to. */
  setId: string;
  blockIndex: number;
  dims: number;
  /** Rows used; rows past `count` are zero padding. */
  count: number;
  /** `EMBEDDING_BLOCK_ROWS × dims` values, row-major. */
  vectors: Float32Array;
  /** The chunk id of each used row, `count` of them. */
  chunkIds: string[];
}

export type JobState = 'pending' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface JobRecord {
  id: string;
  datasetId: string;
  kind: string;
  state: JobState;
  /** Where to resume from; the job kind decides its shape. */
  cursor: JsonValue;
  createdAt: number;
  updatedAt: number;
  error?: string;
}

export interface ModelRecord {
  id: string;
  name: string;
  source: string;
  createdAt: number;
  config: JsonValue;
  /** Model files by their path in the Hugging Face layout (`config.json`, `onnx/model.onnx`, …). */
  files?: Record<string, Blob | ArrayBuffer>;
}

export type RunState = JobState;

export interface RunRecord {
  id: string;
  kind: string;
  createdAt: number;
  config: JsonValue;
  state: RunState;
}

export interface MetricRecord {
  runId: string;
  step: number;
  split: SplitName;
  values: Record<string, number>;
}

export type MetricRow = Omit<MetricRecord, 'runId'>;

export type OutboxOp = 'upsert' | 'delete';
/**
 * `sent`: on its way, outcome unknown (sent again on resume); `acked`: the service confirmed it;
 * `failed`: the service refused it (a 4xx), kept so the next sync tries it again.
 */
export type OutboxState = 'pending' | 'sent' | 'acked' | 'failed';

export interface OutboxRecord {
  datasetId: string;
  vectorId: string;
  op: OutboxOp;
  state: OutboxState;
  /** How many times the entry has been sent. */
  attempts: number;
  updatedAt: number;
}

/**
 * A derived view of one embedding set, stored so it reopens instantly: map coordinates
 * (`kind: 'projection'`, `values` [rows × dims] Float32Array) or cluster assignments
 * (`kind: 'clusters'`, `values` Int32Array per row). Row i belongs to `chunkIds[i]`; a reader
 * compares `rows` with the set's current size and recomputes when the set changed.
 */
export interface AnalysisRecord {
  datasetId: string;
  setId: string;
  /** e.g. `projection:umap-2d`, `clusters:kmeans`. */
  id: string;
  kind: 'projection' | 'clusters';
  createdAt: number;
  rows: number;
  /** Values per row: 2 or 3 for a projection, 1 for clusters. */
  dims: number;
  values: Float32Array | Int32Array;
  chunkIds: string[];
  /** How it was made (method, seed, parameters) and per-kind extras such as cluster labels. */
  params: JsonValue;
}

/**
 * A training checkpoint: everything needed to continue the run exactly where it stopped.
 * `tensors` is a safetensors file (model weights and optimizer moments); `state` holds the
 * data position, RNG state, schedule step and metrics so far.
 */
export interface CheckpointRecord {
  runId: string;
  step: number;
  createdAt: number;
  /** Why it was written: every N steps, at an epoch end, or the best validation loss so far. */
  reason: 'interval' | 'epoch' | 'best' | 'final';
  tensors: Uint8Array;
  state: JsonValue;
}

/** A RAG conversation over one dataset: its turns with answers, citations and passages. */
export interface ConversationRecord {
  id: string;
  datasetId: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  turns: JsonValue[];
}
