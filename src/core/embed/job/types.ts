import type { BudgetStore } from '../batching/index.ts';
import type { EmbedDtype, Pooling } from '../runtime/index.ts';

/**
 * How the model turned texts into vectors, recorded in the job so that an export (bundle) can
 * say exactly how its vectors were made and how to embed a query the same way.
 */
export interface EmbedModelSettings {
  pooling: Pooling;
  dtype: EmbedDtype;
  queryPrefix: string;
  documentPrefix: string;
  /** Hub revision the weights came from; null for a local or served folder. */
  revision: string | null;
  /** Lowercase hex sha256 of the ONNX file that ran, when it was hashed. */
  weightsSha256: string | null;
}

/**
 * What the job needs from a model: token counts to plan batches and vectors for a batch of
 * document texts. `runnerFromModel` adapts an `EmbeddingModel`; tests use fakes.
 */
export interface EmbeddingRunner {
  /** Names the model in the job record and in the learned-budget key. */
  readonly modelId: string;
  readonly device: string;
  /** Values per vector returned by `embed`. */
  readonly dims: number;
  /** Whether `embed` returns L2-normalised vectors (document averages then are too). */
  readonly normalize?: boolean;
  /** Recorded in the job; without it a finished set cannot be exported as a bundle. */
  readonly model?: EmbedModelSettings;
  /** Sequence length of each text as the model sees it (special tokens included). */
  countTokens(texts: readonly string[]): Promise<Int32Array> | Int32Array;
  /** `texts.length × dims` values, row-major, in the order of `texts`. */
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array>;
}

export interface EmbedDatasetOptions {
  /** The embedding set to write; default `runner.modelId`. Document averages go to `${setId}:docs`. */
  setId?: string;
  /** Padded tokens per batch to start from (and the most it may grow to). */
  tokenBudget: number;
  /** The model's max sequence length: longer texts are truncated by the model, so cost no more. */
  maxTokens: number;
  /** Continue the set's unfinished job instead of starting over (default false). */
  resume?: boolean;
  /** L2-normalise document averages; default `runner.normalize ?? false`. */
  normalize?: boolean;
  /** Chunks read, planned and held in memory at a time; default 2048. */
  windowSize?: number;
}

interface ProgressCounts {
  /** Overall fraction of the job; never goes backwards. */
  fraction: number;
  /** Chunks embedded (stored) so far, earlier runs of a resumed job included. */
  done: number;
  /** Chunks in the dataset. */
  total: number;
  device: string;
}

/** Progress of an embedding job, tagged by `status`; the last event is `done` with fraction 1. */
export type EmbedProgress =
  | (ProgressCounts & { status: 'start'; resumed: boolean })
  | (ProgressCounts & {
      status: 'progress';
      /** Real (unpadded) tokens per second in this run. */
      tokensPerSecond: number;
      /** Seconds left at this run's pace; undefined until a batch has finished. */
      etaSeconds: number | undefined;
      /** Items in the batch that just finished. */
      batchSize: number;
      /** Current padded-token budget. */
      budget: number;
    })
  | (ProgressCounts & { status: 'documents'; documentsDone: number })
  | (ProgressCounts & { status: 'done'; fraction: 1 });

export interface EmbedControl {
  /** Aborting pauses the job: its state becomes 'paused' and the call rejects with the abort. */
  signal?: AbortSignal;
  onProgress?: (event: EmbedProgress) => void;
  /** Where the learned token budget is kept per model and device (see `idbBudgetStore`). */
  budgetStore?: BudgetStore;
}

export interface EmbedDatasetResult {
  jobId: string;
  setId: string;
  /** The set of per-document averages. */
  documentSetId: string;
  dims: number;
  /** Chunk vectors stored (every chunk once). */
  chunks: number;
  /** Document averages stored. */
  documents: number;
  /** Documents with no chunk vector, hence no average (never stored as zeros). */
  missingDocuments: string[];
  /** Whether an unfinished job was continued. */
  resumed: boolean;
  /** Tokens embedded and seconds spent in this call. */
  tokens: number;
  seconds: number;
  device: string;
  /** The token budget at the end, after any resource failures. */
  budget: number;
  failures: number;
}
