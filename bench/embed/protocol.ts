/** What the driver, the bench page and its worker exchange; plain data so it crosses every boundary. */

export type BrowserEngine = 'lumina' | 'pipeline';

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
