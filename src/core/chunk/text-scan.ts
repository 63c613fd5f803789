/** Whitespace exactly as String.prototype.trim and /\s/ understand it. */
const WHITESPACE = /\s/u;

export function isWhitespaceAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return WHITESPACE.test(text.charAt(i));
}

/** First non-whitespace position in [from, to), or `to`. */
export function skipWhitespace(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && isWhitespaceAt(text, i)) i++;
  return i;
}

/** Position just after the last non-whitespace character in [from, to), or `from`. */
export function trimEnd(text: string, from: number, to: number): number {
  let i = to;
  while (i > from && isWhitespaceAt(text, i - 1)) i--;
  return i;
}

/** Moves a position off the middle of a surrogate pair (forward). */
export function codePointBoundary(text: string, position: number): number {
  const code = text.charCodeAt(position - 1);
  const splitsPair = code >= 0xd800 && code <= 0xdbff && isLowSurrogateAt(text, position);
  return splitsPair ? position + 1 : position;
}

export function isLowSurrogateAt(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code >= 0xdc00 && code <= 0xdfff;
}
