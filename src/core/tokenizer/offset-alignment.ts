/**
 * Recovers character offsets for tokens, which tokenizers.js does not report: every token is
 * matched against the original text after both sides are put through the same folding
 * (case, compatibility forms, accents, whitespace), so lowercasing and accent-stripping
 * normalisers map back exactly onto the characters they came from.
 */
import { Utf8Stream } from './bytes.ts';

/** What a model token spells, in the terms the aligner compares. */
export type TokenSpelling =
  { kind: 'text'; text: string } | { kind: 'bytes'; bytes: number[] } | { kind: 'unknown' };

export interface AlignmentRules {
  /** The tokenizer's own normaliser applied to one code point (or identity). */
  normalizeChar(ch: string): string;
  /** WordPiece's [UNK] replaces a whole pre-tokenized word, not one character. */
  unknownIsWord: boolean;
  /**
   * SentencePiece-style tokenizers spell a space as U+2581; elsewhere that character is text
   * like any other and must be found, not skipped.
   */
  metaspace: boolean;
}

/** Marks a word break (whitespace) in a cached character expansion. */
const GAP = -1;
/** How far ahead a token that does not match in place may be looked for. */
const RESYNC_WINDOW = 64;

const COMBINING_MARK = /\p{Mn}/u;
const IGNORABLE = /[\p{Cc}\p{Cf}]/u;
const WHITESPACE = /\s/u;
const METASPACE = '\u2581';
const PUNCTUATION = /\p{P}/u;

function isSoft(ch: string, metaspace: boolean): boolean {
  return WHITESPACE.test(ch) || (metaspace && ch === METASPACE);
}

/**
 * Case-, width- and accent-insensitive key of a string, without whitespace. Folded one source
 * character at a time, so a visible character whose compatibility form is only a space and
 * marks (U+1FCD GREEK PSILI AND VARIA → " ̓̀") keeps a key of its own and can still be found.
 */
function foldKey(text: string, metaspace: boolean, out: number[] = []): number[] {
  for (const source of text) {
    if (COMBINING_MARK.test(source) || IGNORABLE.test(source) || isSoft(source, metaspace)) {
      continue;
    }
    const before = out.length;
    const folded = source.normalize('NFKD').toLowerCase().normalize('NFKD');
    for (const ch of folded) {
      if (COMBINING_MARK.test(ch) || IGNORABLE.test(ch) || isSoft(ch, metaspace)) continue;
      // Lowercasing turns a final capital sigma into ς in some contexts, σ in others.
      out.push(ch === 'ς' ? 0x3c3 : (ch.codePointAt(0) ?? 0));
    }
    if (out.length === before) out.push(source.codePointAt(0) ?? 0);
  }
  return out;
}

/** BERT's notion of punctuation (ASCII symbols count) and of CJK ideographs: word breaks. */
function isWordBreakChar(cp: number): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96)) return true;
  if (cp >= 123 && cp <= 126) return true;
  if (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2fa1f) ||
    (cp >= 0xf900 && cp <= 0xfaff)
  ) {
    return true;
  }
  return cp > 127 && PUNCTUATION.test(String.fromCodePoint(cp));
}

/** The folded text as comparable code points, each remembering the source characters. */
class FoldedText {
  readonly keys: number[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  /** 1 where whitespace separated this element from the previous one. */
  readonly gapBefore: number[] = [];

  constructor(text: string, rules: AlignmentRules, cache: Map<number, number[]>) {
    let gap = false;
    for (let i = 0; i < text.length;) {
      const cp = text.codePointAt(i) ?? 0;
      const width = cp > 0xffff ? 2 : 1;
      let expansion = cache.get(cp);
      if (!expansion) {
        expansion = expand(String.fromCodePoint(cp), rules);
        cache.set(cp, expansion);
      }
      // Characters that fold to nothing (combining marks, controls) belong to the one before.
      const last = this.ends.length - 1;
      if (expansion.length === 0 && last >= 0 && !gap) this.ends[last] = i + width;
      for (const key of expansion) {
        if (key === GAP) {
          gap = true;
          continue;
        }
        this.keys.push(key);
        this.starts.push(i);
        this.ends.push(i + width);
        this.gapBefore.push(gap ? 1 : 0);
        gap = false;
      }
      i += width;
    }
  }

  get length(): number {
    return this.keys.length;
  }

  matchesAt(at: number, key: readonly number[]): boolean {
    if (at + key.length > this.keys.length) return false;
    for (let j = 0; j < key.length; j++) if (this.keys[at + j] !== key[j]) return false;
    return true;
  }

  find(key: readonly number[], from: number): number {
    const last = Math.min(this.keys.length - key.length, from + RESYNC_WINDOW);
    for (let at = from; at <= last; at++) if (this.matchesAt(at, key)) return at;
    return -1;
  }

  /** End (exclusive element index) of the word an unknown token starting at `at` stands for. */
  unknownEnd(at: number, wholeWord: boolean): number {
    if (!wholeWord || isWordBreakChar(this.keys[at] ?? 0)) return at + 1;
    let end = at + 1;
    while (
      end < this.keys.length &&
      this.gapBefore[end] === 0 &&
      !isWordBreakChar(this.keys[end] ?? 0)
    ) {
      end++;
    }
    return end;
  }
}

function expand(ch: string, rules: AlignmentRules): number[] {
  let normalized: string;
  try {
    normalized = rules.normalizeChar(ch);
  } catch {
    normalized = ch;
  }
  const out: number[] = [];
  for (const part of normalized) {
    if (isSoft(part, rules.metaspace)) out.push(GAP);
    else foldKey(part, rules.metaspace, out);
  }
  return out;
}

/**
 * Character offsets [start, end) in `text` for each token, in order. Tokens that cannot be
 * placed (a normaliser rewrote text beyond recognition) get an empty span where the previous
 * token ended, so offsets stay monotonic whatever happens.
 */
export function alignTokens(
  text: string,
  tokens: readonly TokenSpelling[],
  rules: AlignmentRules,
  cache: Map<number, number[]>,
): Array<[number, number]> {
  const folded = new FoldedText(text, rules, cache);
  const spans: Array<[number, number]> = [];
  let cursor = 0;
  let previousEnd = 0;
  let lastUnknown = -1;
  let bytes = new Utf8Stream();
  // Byte-level tokens that began a character which a later token finishes.
  let openTokens: number[] = [];

  for (const [k, spelling] of tokens.entries()) {
    if (spelling.kind === 'unknown') {
      if (cursor >= folded.length) {
        spans.push([previousEnd, previousEnd]);
        continue;
      }
      const end = folded.unknownEnd(cursor, rules.unknownIsWord);
      spans.push([folded.starts[cursor] ?? previousEnd, folded.ends[end - 1] ?? previousEnd]);
      cursor = end;
      previousEnd = spans[k]?.[1] ?? previousEnd;
      lastUnknown = k;
      continue;
    }
    let key: number[];
    if (spelling.kind === 'bytes') {
      key = [];
      for (const cp of bytes.feed(spelling.bytes)) {
        foldKey(String.fromCodePoint(cp), rules.metaspace, key);
      }
    } else {
      bytes = new Utf8Stream();
      key = foldKey(spelling.text, rules.metaspace);
    }
    if (key.length === 0) {
      spans.push([previousEnd, previousEnd]);
      if (bytes.pending) openTokens.push(k);
      continue;
    }
    const at = folded.find(key, cursor);
    if (at < 0) {
      spans.push([previousEnd, previousEnd]);
      continue;
    }
    const start = folded.starts[at] ?? previousEnd;
    const end = folded.ends[at + key.length - 1] ?? start;
    const unknownSpan = lastUnknown >= 0 ? spans[lastUnknown] : undefined;
    if (unknownSpan && at > cursor) unknownSpan[1] = folded.ends[at - 1] ?? unknownSpan[1];
    for (const open of openTokens) {
      const span = spans[open];
      if (!span) continue;
      if (span[0] === span[1]) span[0] = start;
      span[1] = Math.max(span[1], folded.ends[at] ?? end);
    }
    openTokens = [];
    spans.push([start, end]);
    if (bytes.pending) openTokens.push(k);
    cursor = at + key.length;
    previousEnd = end;
    lastUnknown = -1;
  }
  return monotonic(spans, text.length);
}

function monotonic(spans: Array<[number, number]>, length: number): Array<[number, number]> {
  let floor = 0;
  for (const span of spans) {
    span[0] = Math.min(length, Math.max(floor, span[0]));
    span[1] = Math.min(length, Math.max(span[0], span[1]));
    floor = span[0];
  }
  return spans;
}
