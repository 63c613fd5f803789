/**
 * Candidate cut positions of a text, one sorted list per kind of boundary. A position is where
 * a new piece begins, so separators stay with the text before them.
 */
export type Boundaries = Int32Array;

function sorted(positions: number[], textLength: number): Boundaries {
  const unique = [...new Set(positions)].filter((p) => p > 0 && p < textLength);
  return Int32Array.from(unique).sort();
}

/** Positions just after each occurrence of a literal separator. */
export function separatorBoundaries(text: string, separator: string): Boundaries {
  const positions: number[] = [];
  if (separator.length === 0) return new Int32Array(0);
  for (
    let at = text.indexOf(separator);
    at >= 0;
    at = text.indexOf(separator, at + separator.length)
  ) {
    positions.push(at + separator.length);
  }
  return sorted(positions, text.length);
}

/** Starts of paragraphs: just after a blank (empty or whitespace-only) line. */
export function paragraphBoundaries(text: string): Boundaries {
  const positions: number[] = [];
  for (const match of text.matchAll(/\n[^\S\n]*\n\s*/gu))
    positions.push(match.index + match[0].length);
  return sorted(positions, text.length);
}

/**
 * Sentence starts per Unicode sentence-break rules (Intl.Segmenter). Segmenting a long string
 * in one go is quadratic in V8, so the text is read in windows, each restarting at the last
 * sentence start found in the one before.
 */
export function sentenceBoundaries(text: string): Boundaries {
  const window = 4096;
  const segmenter = new Intl.Segmenter(undefined, { granularity: 'sentence' });
  const positions: number[] = [];
  for (let from = 0; from < text.length;) {
    const to = Math.min(text.length, from + window);
    let lastStart = 0;
    for (const segment of segmenter.segment(text.slice(from, to))) {
      if (segment.index === 0) continue;
      positions.push(from + segment.index);
      lastStart = segment.index;
    }
    if (to >= text.length) break;
    // A sentence longer than the window is cut at the window's end.
    from = lastStart > 0 ? from + lastStart : to;
  }
  return sorted(positions, text.length);
}

/** Starts of every match of a global regex; empty matches count but never stall. */
export function regexBoundaries(text: string, pattern: RegExp): Boundaries {
  const positions: number[] = [];
  const re = new RegExp(
    pattern.source,
    pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`,
  );
  for (let match = re.exec(text); match; match = re.exec(text)) {
    positions.push(match.index);
    // Step over a whole code point: inside a surrogate pair a /u regex would match again.
    if (match[0].length === 0)
      re.lastIndex = match.index + ((text.codePointAt(match.index) ?? 0) > 0xffff ? 2 : 1);
  }
  return sorted(positions, text.length);
}

/** Index of the first element >= value. */
function lowerBound(list: Boundaries, value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The largest boundary b with after < b <= atMost, or -1. */
export function lastBoundary(list: Boundaries, after: number, atMost: number): number {
  const i = lowerBound(list, atMost + 1) - 1;
  const value = i >= 0 ? (list[i] ?? -1) : -1;
  return value > after ? value : -1;
}

/** The smallest boundary b with atLeast <= b <= atMost, or -1. */
export function firstBoundary(list: Boundaries, atLeast: number, atMost: number): number {
  const value = list[lowerBound(list, atLeast)];
  return value !== undefined && value <= atMost ? value : -1;
}
