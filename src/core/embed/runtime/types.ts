/** How token vectors become one text vector; Lumina pools itself, so any model works with any. */
export type Pooling = 'mean' | 'cls' | 'last-token';

/** Weight precision; selects `onnx/model.onnx`, `model_fp16.onnx` or `model_quantized.onnx`. */
export type EmbedDtype = 'fp32' | 'fp16' | 'q8';

export type EmbedDevice = 'wasm' | 'webgpu';

/** Queries and documents may get different prefixes (e5's "query: ", nomic's "search_query: "). */
export type TextKind = 'query' | 'document';

/**
 * Where a model comes from. Every non-hub source is served to transformers.js from memory or
 * from the given URL only; no other request is made.
 */
export type ModelSource =
  /** A Hugging Face Hub repository, downloaded once and then cached for offline use. */
  | { kind: 'hub'; id: string; revision?: string }
  /** A model folder in memory: relative path (`onnx/model.onnx`) → bytes. */
  | { kind: 'files'; files: ReadonlyMap<string, Blob | Uint8Array>; name?: string }
  /** A folder served over HTTP, e.g. `/models/<name>/` from Vite when LUMINA_MODELS_DIR is set. */
  | { kind: 'url'; baseUrl: string; name?: string };

export interface EmbeddingOptions {
  /** Default: the model's sentence-transformers pooling config, else `mean`. */
  pooling?: Pooling;
  /** L2-normalise every vector (after Matryoshka truncation). Default true. */
  normalize?: boolean;
  /** Matryoshka: keep the first `dims` dimensions. Default: the model's hidden size. */
  dims?: number;
  queryPrefix?: string;
  documentPrefix?: string;
  /** Default fp32 (transformers.js would otherwise pick q8 on wasm). */
  dtype?: EmbedDtype;
  /**
   * Tokens per text including special tokens; longer texts are cut at the end, keeping the
   * special tokens. Default: sentence-transformers `max_seq_length`, else the smaller of the
   * tokenizer's `model_max_length` and the config's `max_position_embeddings`.
   */
  maxTokens?: number;
  /** Default wasm. */
  device?: EmbedDevice;
}

/** What a loaded model is and how it embeds; returned by `load`. */
export interface EmbeddingModelInfo {
  /** Hub id, folder name or URL. */
  name: string;
  source: ModelSource['kind'];
  modelType: string;
  /** Vector length returned by `embed` (after Matryoshka truncation). */
  dims: number;
  /** The model's own hidden size. */
  hiddenSize: number;
  maxTokens: number;
  pooling: Pooling;
  normalize: boolean;
  queryPrefix: string;
  documentPrefix: string;
  dtype: EmbedDtype;
  device: EmbedDevice;
  /** The ONNX file inside the model folder that runs. */
  onnxFile: string;
}

/** Token ids exactly as fed to the model, right-padded to the longest text in the batch. */
export interface TokenBatch {
  batch: number;
  seq: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array | null;
  /** Unpadded length of each text, special tokens included. */
  lengths: Int32Array;
}

/** The model's last hidden state for a batch, with the inputs that produced it. */
export interface HiddenStates {
  tokens: TokenBatch;
  hidden: number;
  /** [batch, seq, hidden] row-major. */
  data: Float32Array;
}
