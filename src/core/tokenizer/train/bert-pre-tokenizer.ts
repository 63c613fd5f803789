/**
 * BERT's pre-tokenizer as transformers.js runs it: trim, then runs of non-space non-punctuation
 * characters and single punctuation characters (ASCII punctuation counts as punctuation).
 */
const PUNCTUATION = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const BERT_SPLIT = new RegExp(`[^\\s${PUNCTUATION}]+|[${PUNCTUATION}]`, 'gu');

/** The words of a (normalized) text with their [start, end) in that text. */
export function bertWords(text: string): { word: string; start: number; end: number }[] {
  const trimmed = text.trim();
  const lead = text.length - text.trimStart().length;
  const words: { word: string; start: number; end: number }[] = [];
  for (const match of trimmed.matchAll(BERT_SPLIT)) {
    const start = lead + match.index;
    words.push({ word: match[0], start, end: start + match[0].length });
  }
  return words;
}

/** The words alone, for training. */
export function bertSplit(text: string): string[] {
  return text.trim().match(BERT_SPLIT) ?? [];
}
