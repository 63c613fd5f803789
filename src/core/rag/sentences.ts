/** A sentence of a text: its trimmed text and [start, end) offsets of that trimmed text. */
export interface Sentence {
  text: string;
  start: number;
  end: number;
}

type SentenceSplitter = (text: string) => Iterable<{ segment: string; index: number }>;

function intlSplitter(): SentenceSplitter | null {
  if (typeof Intl === 'undefined' || typeof Intl.Segmenter !== 'function') return null;
  try {
    const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });
    return (text) => segmenter.segment(text);
  } catch {
    return null;
  }
}

/**
 * Where Intl.Segmenter is missing (old runtimes, some ICU-less Node builds): a sentence ends at
 * . ! or ? (plus closing quotes/brackets) followed by whitespace and an uppercase letter, digit
 * or opening quote, or at a blank line. Cruder than UAX #29 (it splits after "Dr. Smith").
 */
export function* fallbackSentences(text: string): Generator<{ segment: string; index: number }> {
  const boundary = /[.!?]+["'”’)\]]*\s+(?=["'“‘([]?[\p{Lu}\p{N}])|\n\s*\n/gu;
  let start = 0;
  for (const match of text.matchAll(boundary)) {
    const end = match.index + match[0].length;
    yield { segment: text.slice(start, end), index: start };
    start = end;
  }
  if (start < text.length) yield { segment: text.slice(start), index: start };
}

const intl = intlSplitter();

/** Splits text into sentences (UAX #29 via Intl.Segmenter when available), dropping blank ones. */
export function splitSentences(text: string, useIntl = intl !== null): Sentence[] {
  const segments = useIntl && intl ? intl(text) : fallbackSentences(text);
  const out: Sentence[] = [];
  for (const { segment, index } of segments) {
    const lead = segment.length - segment.trimStart().length;
    const trimmed = segment.trim();
    if (trimmed.length === 0) continue;
    out.push({ text: trimmed, start: index + lead, end: index + lead + trimmed.length });
  }
  return out;
}
