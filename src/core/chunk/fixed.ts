/**
 * Fixed windows of exactly `limit` tokens of the document's tokenization, each repeating the
 * last `overlap` tokens of the one before. Cuts fall on token starts; the characters between
 * two tokens (whitespace, characters the tokenizer drops) go with the earlier window so that
 * nothing is lost.
 */
import { throwIfAborted } from '../abort.ts';
import type { TokenCounter } from '../tokenizer/token-counter.ts';
import { longestFit, measureChunk, type Chunk } from './measure.ts';
import type { ChunkControl } from './packer.ts';
import type { TokenIndex } from './token-index.ts';

export function fixedChunks(
  text: string,
  counter: TokenCounter,
  index: TokenIndex,
  sizing: { limit: number; overlap: number },
  control: ChunkControl = {},
): Chunk[] {
  const { limit, overlap } = sizing;
  const total = index.size;
  if (total === 0) return splitToFit(text, counter, 0, text.length, limit);
  const chunks: Chunk[] = [];
  const fits = (chunk: Chunk | undefined) => !chunk || chunk.tokenCount <= limit;
  for (let first = 0; ;) {
    throwIfAborted(control.signal);
    const from = first === 0 ? 0 : index.start(first);
    const full = Math.min(first + limit, total);
    const fullEnd = full >= total ? text.length : index.start(full);
    let last = full;
    let end = fullEnd;
    let chunk = measureChunk(text, counter, from, end);
    // A window cut inside a word can count more tokens on its own than in the document
    // (`##ization` alone is `iz ##ation`): give up tokens at its end until it fits.
    while (!fits(chunk) && last - first > 1) {
      last = Math.max(first + 1, last - Math.max(1, (chunk?.tokenCount ?? 0) - limit));
      end = index.start(last);
      chunk = measureChunk(text, counter, from, end);
    }
    if (!fits(chunk)) {
      chunks.push(...splitToFit(text, counter, from, end, limit));
    } else {
      if (last < full && overlap > 0 && last - first < 2) {
        // Down to one token nothing is left to share with the next window: reach into the
        // next token by characters instead.
        const longer = longestFit(text, counter, from, fullEnd, limit);
        if (longer > end) {
          end = longer;
          chunk = measureChunk(text, counter, from, end);
        }
      }
      if (chunk) chunks.push(chunk);
    }
    control.onProgress?.(end, text.length);
    if (last >= total) return chunks;
    first = Math.max(first + 1, Math.min(first + limit - overlap, index.before(end) - overlap));
  }
}

/** Consecutive code-point chunks covering [from, to), each as long as the limit allows. */
function splitToFit(
  text: string,
  counter: TokenCounter,
  from: number,
  to: number,
  limit: number,
): Chunk[] {
  const chunks: Chunk[] = [];
  for (let start = from; start < to;) {
    const end = Math.min(to, longestFit(text, counter, start, to, limit));
    const chunk = measureChunk(text, counter, start, end);
    if (chunk) chunks.push(chunk);
    start = end;
  }
  return chunks;
}
