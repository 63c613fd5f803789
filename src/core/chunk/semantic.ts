/**
 * Semantic chunking (Greg Kamradt's method, as in LangChain's SemanticChunker): embed every
 * sentence together with a few neighbours, and start a new chunk where the cosine distance
 * between consecutive sentences is unusually large. Groups over the token limit are then split
 * by the recursive chunker, so the limit holds exactly as in the other modes.
 */
import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import type { TokenCounter } from '../tokenizer/token-counter.ts';
import type { TextChunk } from '../types.ts';
import { sentenceBoundaries } from './boundaries.ts';
import { chunkText } from './chunk-text.ts';
import { measureChunk, type Chunk } from './measure.ts';
import { skipWhitespace, trimEnd } from './text-scan.ts';

export type SemanticThreshold =
  /** Break at distances above this percentile (0–100) of the document's distances. */
  | { kind: 'percentile'; value: number }
  /** Break at cosine distances (1 − similarity, 0–2) above this value. */
  | { kind: 'absolute'; value: number };

export interface SemanticChunkOptions {
  /** Most tokens a chunk may hold, measured with the given TokenCounter. */
  chunkTokens: number;
  /** Default: the 95th percentile. */
  threshold?: SemanticThreshold;
  /** Sentences on each side embedded along with a sentence, to steady its vector. Default 1. */
  bufferSentences?: number;
  /** Sentences embedded per call. Default 32. */
  batchSize?: number;
}

export interface SemanticControl {
  signal?: AbortSignal;
  /** Sentences embedded so far of the document's total. */
  onProgress?: (done: number, total: number) => void;
}

/** Embeds texts; returns [texts.length × dims] row-major. */
export type EmbedTexts = (texts: string[]) => Promise<Float32Array>;

export const DEFAULT_SEMANTIC_THRESHOLD: SemanticThreshold = { kind: 'percentile', value: 95 };

/** Problems with the options, each a sentence naming the field; empty when they are usable. */
export function validateSemanticOptions(o: SemanticChunkOptions): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(o.chunkTokens) || o.chunkTokens < 1) {
    problems.push(`chunkTokens must be a whole number of at least 1 (got ${o.chunkTokens}).`);
  }
  const buffer = o.bufferSentences ?? 1;
  if (!Number.isInteger(buffer) || buffer < 0) {
    problems.push(`bufferSentences must be a whole number of 0 or more (got ${buffer}).`);
  }
  const batch = o.batchSize ?? 32;
  if (!Number.isInteger(batch) || batch < 1) {
    problems.push(`batchSize must be a whole number of at least 1 (got ${batch}).`);
  }
  const threshold = o.threshold ?? DEFAULT_SEMANTIC_THRESHOLD;
  if (threshold.kind === 'percentile') {
    if (!(threshold.value >= 0 && threshold.value <= 100)) {
      problems.push(`A percentile threshold must be within 0–100 (got ${threshold.value}).`);
    }
  } else if (threshold.kind === 'absolute') {
    if (!(threshold.value >= 0 && threshold.value <= 2)) {
      problems.push(
        `An absolute threshold is a cosine distance within 0–2 (got ${threshold.value}).`,
      );
    }
  } else {
    problems.push('threshold.kind must be "percentile" or "absolute".');
  }
  return problems;
}

/** Sentence ranges [start, end) with the whitespace around them left out; blank ones dropped. */
export function sentenceRanges(text: string): Array<[number, number]> {
  const edges = [0, ...sentenceBoundaries(text), text.length];
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const start = skipWhitespace(text, edges[i] ?? 0, edges[i + 1] ?? 0);
    const end = trimEnd(text, start, edges[i + 1] ?? 0);
    if (end > start) ranges.push([start, end]);
  }
  return ranges;
}

/** 1 − cosine similarity of rows i and i + 1, for every i; vectors need not be normalised. */
export function consecutiveDistances(vectors: Float32Array, rows: number): Float64Array {
  const dims = rows > 0 ? vectors.length / rows : 0;
  const distances = new Float64Array(Math.max(0, rows - 1));
  for (let i = 0; i + 1 < rows; i++) {
    let dot = 0;
    let a2 = 0;
    let b2 = 0;
    for (let d = 0; d < dims; d++) {
      const a = vectors[i * dims + d] ?? 0;
      const b = vectors[(i + 1) * dims + d] ?? 0;
      dot += a * b;
      a2 += a * a;
      b2 += b * b;
    }
    const norm = Math.sqrt(a2 * b2);
    distances[i] = norm > 0 ? 1 - dot / norm : 1;
  }
  return distances;
}

/** The p-th percentile with linear interpolation between ranks (numpy's default). */
export function percentile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.min(sorted.length - 1, low + 1);
  const a = sorted[low] ?? 0;
  const b = sorted[high] ?? 0;
  return a + (b - a) * (rank - low);
}

/** Indices i such that a new group starts at sentence i + 1. */
export function breakPoints(distances: Float64Array, threshold: SemanticThreshold): number[] {
  if (distances.length === 0) return [];
  const limit =
    threshold.kind === 'percentile' ? percentile(distances, threshold.value) : threshold.value;
  const breaks: number[] = [];
  distances.forEach((distance, i) => {
    if (distance > limit) breaks.push(i);
  });
  return breaks;
}

async function embedSentences(
  text: string,
  sentences: Array<[number, number]>,
  buffer: number,
  batchSize: number,
  embed: EmbedTexts,
  control: SemanticControl,
): Promise<Float32Array> {
  const n = sentences.length;
  const windows = sentences.map((_, i) => {
    const from = sentences[Math.max(0, i - buffer)]?.[0] ?? 0;
    const to = sentences[Math.min(n - 1, i + buffer)]?.[1] ?? text.length;
    return text.slice(from, to);
  });
  let vectors: Float32Array | undefined;
  let dims = 0;
  for (let from = 0; from < n; from += batchSize) {
    throwIfAborted(control.signal);
    const batch = windows.slice(from, from + batchSize);
    const rows = await embed(batch);
    throwIfAborted(control.signal);
    if (rows.length === 0 || rows.length % batch.length !== 0) {
      throw new Error(
        `The embedding function returned ${rows.length} values for ${batch.length} sentences.`,
      );
    }
    if (!vectors) {
      dims = rows.length / batch.length;
      vectors = new Float32Array(n * dims);
    } else if (rows.length !== batch.length * dims) {
      throw new Error('The embedding function changed its vector length between batches.');
    }
    vectors.set(rows, from * dims);
    control.onProgress?.(Math.min(n, from + batchSize), n);
    await yieldToEventLoop();
  }
  return vectors ?? new Float32Array(0);
}

/** Range [start, end) of each group of sentences; together they span the whole text. */
function groupRanges(
  text: string,
  sentences: Array<[number, number]>,
  breaks: number[],
): Array<[number, number]> {
  const starts = [0, ...breaks.map((i) => sentences[i + 1]?.[0] ?? text.length)];
  return starts.map((start, k): [number, number] => [start, starts[k + 1] ?? text.length]);
}

/** The group as one chunk if it fits, else split by the recursive chunker with no overlap. */
function fitGroup(
  text: string,
  [from, to]: [number, number],
  limit: number,
  counter: TokenCounter,
  signal?: AbortSignal,
): Chunk[] {
  const whole = measureChunk(text, counter, from, to);
  if (!whole) return [];
  if (whole.tokenCount <= limit) return [whole];
  const parts = chunkText(
    whole.text,
    { mode: 'recursive', chunkTokens: limit, overlapTokens: 0 },
    counter,
    signal ? { signal } : {},
  );
  return parts.map((part) => ({
    text: part.text,
    charStart: whole.charStart + part.charStart,
    charEnd: whole.charStart + part.charEnd,
    tokenCount: part.tokenCount,
  }));
}

/**
 * Splits a text into chunks of at most `options.chunkTokens` tokens of `counter`, cutting
 * between sentences where the meaning shifts. Every chunk is `text.slice(charStart, charEnd)`,
 * trimmed, non-empty and in document order; together they cover every non-whitespace character.
 */
export async function semanticChunks(
  text: string,
  options: SemanticChunkOptions,
  counter: TokenCounter,
  embed: EmbedTexts,
  control: SemanticControl = {},
): Promise<TextChunk[]> {
  const problems = validateSemanticOptions(options);
  if (problems.length > 0) throw new Error(`Invalid semantic chunk options: ${problems.join(' ')}`);
  throwIfAborted(control.signal);
  if (text.trim().length === 0) return [];
  const sentences = sentenceRanges(text);
  let breaks: number[] = [];
  if (sentences.length > 1) {
    const vectors = await embedSentences(
      text,
      sentences,
      options.bufferSentences ?? 1,
      options.batchSize ?? 32,
      embed,
      control,
    );
    const distances = consecutiveDistances(vectors, sentences.length);
    breaks = breakPoints(distances, options.threshold ?? DEFAULT_SEMANTIC_THRESHOLD);
  } else {
    control.onProgress?.(sentences.length, sentences.length);
  }
  const chunks: Chunk[] = [];
  for (const range of groupRanges(text, sentences, breaks)) {
    throwIfAborted(control.signal);
    chunks.push(...fitGroup(text, range, options.chunkTokens, counter, control.signal));
  }
  return chunks.map((chunk, i) => ({ index: i, ...chunk }));
}
