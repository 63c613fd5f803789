import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { BertEncoder } from '../train/bert/encoder.ts';
import { embedBatch, type PoolingOptions } from './pooling.ts';
import { sentenceIds, padSequences, type SentenceTokenizer } from './tokenize.ts';
import { cosineSimilarity as cosine } from '../search/kernels.ts';

/** The model an evaluator runs: encoder, its tokenizer and the pooling on top. */
export interface SentenceModel {
  encoder: BertEncoder;
  tokenizer: SentenceTokenizer;
  pooling: PoolingOptions;
  /** Longest tokenised sentence, special tokens included; default 128. */
  maxLength?: number;
}

export interface EncodeOptions {
  /** Sentences per forward pass; default 32. */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Progress message prefix, e.g. "Encoding queries". */
  label?: string;
}

export const DEFAULT_ENCODE_BATCH = 32;

/**
 * Sentence embeddings of `texts`, inference mode (no dropout), in input order. Sentences are
 * batched by length, as sentence-transformers' encode does, so little compute goes to padding;
 * every batch's tensors are freed before the next starts.
 */
export async function encodeSentences(
  model: SentenceModel,
  texts: readonly string[],
  { batchSize = DEFAULT_ENCODE_BATCH, signal, onProgress, label = 'Encoding' }: EncodeOptions = {},
): Promise<Float32Array[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const progress = new ProgressReporter(onProgress);
  progress.start(`${label} ${texts.length} sentences`);
  throwIfAborted(signal);
  const ids = texts.map((text) => sentenceIds(model.tokenizer, text, model.maxLength));
  const order = ids
    .map((_, i) => i)
    .sort((a, b) => (ids[b] as number[]).length - (ids[a] as number[]).length);
  const out = new Array<Float32Array>(texts.length);
  for (let start = 0; start < order.length; start += batchSize) {
    throwIfAborted(signal);
    const rows = order.slice(start, start + batchSize);
    const batch = padSequences(
      rows.map((row) => ids[row] as number[]),
      model.tokenizer.padId,
    );
    const embeddings = embedBatch(model.encoder, batch, model.pooling);
    let flat: Float32Array;
    try {
      flat = (await embeddings.data()) as Float32Array;
    } finally {
      embeddings.dispose();
    }
    const dims = flat.length / rows.length;
    rows.forEach((row, i) => {
      out[row] = flat.slice(i * dims, (i + 1) * dims);
    });
    progress.update(Math.min(start + batchSize, order.length), order.length, label);
    await yieldToEventLoop();
  }
  throwIfAborted(signal);
  progress.finish(`${label}: ${texts.length} sentences`);
  return out;
}

/** Cosine of row i of `a` with row i of `b`, in float64. */
export function pairedCosines(a: readonly Float32Array[], b: readonly Float32Array[]): number[] {
  if (a.length !== b.length) throw new RangeError(`${a.length} and ${b.length} embeddings`);
  return a.map((x, i) => cosine(x, b[i] as Float32Array));
}

export { cosine };
