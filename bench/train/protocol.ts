import type { SequenceSet } from '../../src/core/train/data/index.ts';

/** Model shapes of the speed table. */
export type ShapeName = 'small' | 'minilm';
export type SpeedBackend = 'webgpu' | 'wasm' | 'cpu';

export interface ShapeSpec {
  dModel: number;
  layers: number;
  heads: number;
  dFf: number;
  seqLen: number;
}

export const SHAPES: Record<ShapeName, ShapeSpec> = {
  small: { dModel: 128, layers: 2, heads: 2, dFf: 512, seqLen: 128 },
  minilm: { dModel: 384, layers: 6, heads: 12, dFf: 1536, seqLen: 128 },
};

/** One speed measurement: a fresh model trained for warm-up + measured steps on one backend. */
export interface SpeedRequest {
  shape: ShapeName;
  backend: SpeedBackend;
  batch: number;
  warmupSteps: number;
  steps: number;
  seed: number;
  /** The shape's tokenizer, as `tokenizer.json` text. */
  tokenizerJson: string;
  /** Enough full sequences for every step (batch × (warm-up + steps) rows). */
  sequences: SequenceSet;
}

export interface SpeedResult {
  backend: SpeedBackend;
  /** wasm: SIMD and threads; webgpu: the adapter's description; cpu: plain JavaScript. */
  detail: string;
  /** tokens/s of each measured step (warm-up steps left out), in step order. */
  stepTokensPerSecond: number[];
  /** Median of {@link stepTokensPerSecond}. */
  medianTokensPerSecond: number;
  /** Non-padding tokens per step. */
  tokensPerStep: number;
  parameters: number;
}
