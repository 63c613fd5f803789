import type { TokenCounter } from '../tokenizer/token-counter.ts';
import type { TextChunk } from '../types.ts';
import { codePointBoundary, skipWhitespace, trimEnd } from './text-scan.ts';

export type Chunk = Omit<TextChunk, 'index'>;

/** The range trimmed of surrounding whitespace and counted for real; undefined if blank. */
export function measureChunk(
  text: string,
  counter: TokenCounter,
  from: number,
  to: number,
): Chunk | undefined {
  const charStart = skipWhitespace(text, from, to);
  const charEnd = trimEnd(text, charStart, to);
  if (charEnd <= charStart) return undefined;
  const slice = text.slice(charStart, charEnd);
  return { text: slice, charStart, charEnd, tokenCount: counter.count(slice) };
}

/**
 * The furthest end in (from, upTo] on a code point boundary whose chunk fits the limit, and
 * never less than one code point: the last resort for text no boundary or token cut can fit.
 */
export function longestFit(
  text: string,
  counter: TokenCounter,
  from: number,
  upTo: number,
  limit: number,
): number {
  const first = Math.min(text.length, codePointBoundary(text, from + 1));
  let best = first;
  let lo = first + 1;
  let hi = upTo;
  while (lo <= hi) {
    const middle = (lo + hi) >>> 1;
    const end = Math.min(upTo, codePointBoundary(text, middle));
    const chunk = measureChunk(text, counter, from, end);
    if (!chunk || chunk.tokenCount <= limit) {
      best = Math.max(best, end);
      lo = end + 1;
    } else {
      hi = middle - 1;
    }
  }
  return best;
}
