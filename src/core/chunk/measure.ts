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
    const mid = Math.min(upTo, codePointBoundary(text, (lo + hi) >>> 1));
    const chunk = measureChunk(text, counter, from, mid);
    if (!chunk || chunk.tokenCount <= limit) {
      best = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return best;
}
