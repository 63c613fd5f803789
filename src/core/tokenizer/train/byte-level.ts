/**
 * GPT-2's byte-level pre-tokenizer: the text is split by GPT-2's regex and every UTF-8 byte of a
 * piece is spelled as one printable character, so 256 symbols cover any text.
 */

/** The regex transformers.js and HF tokenizers use for `ByteLevel` with `use_regex: true`. */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's `bytes_to_unicode`: byte → printable character. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Array<string>(256);
  for (const b of printable) table[b] = String.fromCharCode(b);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + shifted++);
  }
  return table;
})();

/**
 * The UTF-8 bytes of one code point, written into `out`; a lone surrogate becomes U+FFFD's
 * bytes, as `TextEncoder` (which transformers.js uses) does.
 */
function pushUtf8(codePoint: number, out: number[]): void {
  let cp = codePoint;
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else {
    out.push(
      0xf0 | (cp >> 18),
      0x80 | ((cp >> 12) & 63),
      0x80 | ((cp >> 6) & 63),
      0x80 | (cp & 63),
    );
  }
}

/** A pre-token spelled in byte characters, each with the span of the character it came from. */
export interface ByteLevelWord {
  /** One byte character per UTF-8 byte. */
  symbols: string;
  starts: number[];
  ends: number[];
}

/** `text` in byte characters (what the trainer counts). */
export function toByteChars(text: string): string {
  const bytes: number[] = [];
  for (const ch of text) pushUtf8(ch.codePointAt(0) ?? 0, bytes);
  let out = '';
  for (const b of bytes) out += BYTE_TO_CHAR[b];
  return out;
}

/** The GPT-2 regex pieces of `text`, without offsets: what training needs. */
export function byteLevelSplit(text: string, addPrefixSpace: boolean): string[] {
  const input = addPrefixSpace && !text.startsWith(' ') ? ` ${text}` : text;
  return input.match(GPT2_SPLIT) ?? [];
}

/**
 * The byte-level words of `text` with offsets into the original string. `map` turns a position
 * in `text` into the original span (identity when no normalizer ran). A prefix space added by
 * `addPrefixSpace` has an empty span at the start of the text.
 */
export function byteLevelWords(
  text: string,
  addPrefixSpace: boolean,
  map: (start: number, end: number) => [number, number],
): ByteLevelWord[] {
  const prefixed = addPrefixSpace && !text.startsWith(' ');
  const input = prefixed ? ` ${text}` : text;
  const shift = prefixed ? 1 : 0;
  const words: ByteLevelWord[] = [];
  const bytes: number[] = [];
  for (const match of input.matchAll(GPT2_SPLIT)) {
    const word: ByteLevelWord = { symbols: '', starts: [], ends: [] };
    let position = match.index;
    for (const ch of match[0]) {
      const length = ch.length;
      const [start, end] =
        prefixed && position === 0 ? map(0, 0) : map(position - shift, position - shift + length);
      bytes.length = 0;
      pushUtf8(ch.codePointAt(0) ?? 0, bytes);
      for (const b of bytes) {
        word.symbols += BYTE_TO_CHAR[b];
        word.starts.push(start);
        word.ends.push(end);
      }
      position += length;
    }
    words.push(word);
  }
  return words;
}
