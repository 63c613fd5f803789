/** What the driver, the bench page and its worker exchange; plain data so it crosses every boundary. */

/**
 * `lumina` is the app's engine on the asyncify wasm build that onnxruntime-web/webgpu loads (the
 * embed worker serves both devices from one ORT instance). `lumina-plain` runs the same engine on
 * ORT's plain SIMD+threads build, to show what a WASM-only build would be worth. `ort-web` drives
 * a bare onnxruntime-web session (plain build) with Lumina's batches: the ceiling of ORT's WASM
 * backend itself, to set against onnxruntime-node on the same batches.
 */
export type BrowserEngine = 'lumina' | 'lumina-plain' | 'pipeline' | 'ort-web';

export interface BrowserBenchRequest {
  engine: BrowserEngine;
  /** Folder name under /models/. */
  modelName: string;
  texts: string[];
  threads: number;
  maxTokens: number;
  /** Lumina: padded tokens per batch. */
  tokenBudget: number;
  /** Plain pipeline: texts per call, in input order. */
  pipelineBatch: number;
  /** ort-web: the batches to run (Lumina's plan). */
  batches?: number[][];
}

export interface BenchRun {
  /** Texts by index, as run: Lumina's plan, or input-order slices for the pipeline. */
  batches: number[][];
  realTokens: number;
  /** Tokens the runtime computed on: each batch padded to its longest text. */
  paddedTokens: number;
  seconds: number;
  dims: number;
  /** [texts × dims] float32 embeddings in input order, base64. */
  embeddings: string;
}

export interface BrowserBenchResult extends BenchRun {
  crossOriginIsolated: boolean;
  threads: number;
}

export function float32ToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let binary = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(binary);
}

export function base64ToFloat32(text: string): Float32Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/** Padded tokens when every batch is padded to its longest text. */
export function paddedTokensOf(batches: readonly number[][], lengths: ArrayLike<number>): number {
  let total = 0;
  for (const batch of batches) {
    const longest = Math.max(0, ...batch.map((i) => lengths[i] ?? 0));
    total += batch.length * longest;
  }
  return total;
}

export function sumOf(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] ?? 0;
  return total;
}

export interface MemorySeedRequest {
  documents: number;
  /** Characters per generated document. */
  documentChars: number;
  /** Chunk size in whitespace words (no tokenizer needed to seed). */
  chunkWords: number;
  seed: number;
}

export interface MemorySeedResult {
  datasetId: string;
  documents: number;
  textChars: number;
  chunks: number;
}

export interface MemoryEmbedRequest {
  datasetId: string;
  /** Folder name under /models/. */
  modelName: string;
  threads: number;
  maxTokens: number;
  tokenBudget: number;
}

export interface MemoryEmbedResult {
  chunks: number;
  tokens: number;
  seconds: number;
}

/** A run's result: counts from the per-text lengths, the embeddings as base64. */
export function benchRun(
  batches: readonly (readonly number[])[],
  lengths: ArrayLike<number>,
  seconds: number,
  dims: number,
  embeddings: Float32Array,
): BenchRun {
  const copied = batches.map((batch) => [...batch]);
  return {
    batches: copied,
    realTokens: sumOf(lengths),
    paddedTokens: paddedTokensOf(copied, lengths),
    seconds,
    dims,
    embeddings: float32ToBase64(embeddings),
  };
}
