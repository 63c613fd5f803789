/** Measures text in tokens; chunking and data preparation work in these units. */
export interface TokenCounter {
  readonly name: string;
  /** Number of tokens the text contributes to a model input, without [CLS]/[SEP]-style specials. */
  count(text: string): number;
  /** token ids and char offsets [start,end) in text, specials excluded */
  encode(text: string): { ids: number[]; offsets: Array<[number, number]> };
}

const WORD = /\S+/gu;

/** FNV-1a over UTF-16 code units: the same word always gets the same id. */
function wordId(word: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    hash ^= word.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A cheap counter for when no model tokenizer is chosen: one token per run of non-whitespace. */
export const whitespaceCounter: TokenCounter = {
  name: 'whitespace',
  count(text: string): number {
    let n = 0;
    for (const _match of text.matchAll(WORD)) n++;
    return n;
  },
  encode(text: string) {
    const ids: number[] = [];
    const offsets: Array<[number, number]> = [];
    for (const match of text.matchAll(WORD)) {
      ids.push(wordId(match[0]));
      offsets.push([match.index, match.index + match[0].length]);
    }
    return { ids, offsets };
  },
};
