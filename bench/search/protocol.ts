/** What the driver (`run.ts`) asks the bench page for, and what it gets back. */
export interface SearchBenchRequest {
  rows: number;
  dims: number;
  queries: number;
  k: number;
  /** Rows of the large (sharded) run; 0 skips it. */
  largeRows: number;
  largeQueries: number;
  seed: number;
  /** Also time the WebGPU kernel (on this machine a software adapter: correctness only). */
  webgpu: boolean;
  /** Candidates per result for the int8 index (k × rerank re-scored exactly). */
  rerank: number;
}

export interface BenchRow {
  path: string;
  rows: number;
  queries: number;
  /** Per-query latencies in ms, in run order. */
  times: number[];
  /** Mean recall@k against the exact WASM results, where the path is approximate. */
  recall?: number;
  note?: string;
}

export interface SearchBenchResult {
  rows: BenchRow[];
  userAgent: string;
  shards: { rows: number; shards: number }[];
  /** Agreement of the fast paths with the baseline on the 100k run (same top-k ids). */
  agreement: { path: string; sameIds: number; queries: number; maxScoreDiff: number }[];
}
