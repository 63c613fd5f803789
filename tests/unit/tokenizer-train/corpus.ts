import { readShared } from '../../support/shared-data.ts';

/** Non-empty lines of a WikiText-2 split, up to `maxChars` characters in all. */
export function wikiLines(split: 'valid' | 'test', maxChars: number): string[] {
  const out: string[] = [];
  let chars = 0;
  for (const line of readShared(`datasets/wikitext-2/${split}.txt`).split('\n')) {
    if (line.trim().length === 0) continue;
    if (chars + line.length > maxChars) break;
    out.push(line);
    chars += line.length;
  }
  return out;
}

/** Texts that stress normalizers and pre-tokenizers, appended to the held-out lines. */
export const EDGE_CASES: readonly string[] = [
  '',
  ' ',
  '   leading and trailing spaces   ',
  'Café naïve résumé Ångström façade — ÉCOLE',
  'ΟΔΟΣ Σίσυφος İstanbul straße ǅ',
  'Emoji 😀👍🏽 👩‍👩‍👧 and flags 🇫🇷 mixed😀in words',
  '中文字符 日本語のテキスト 한국어 텍스트 𠀋 ext-B',
  'Numbers 123,456.78 1e-9 ½ ² ①, dates 2024-01-31',
  'Punctuation: “quotes” «guillemets» ‹› … !?¿¡ (brackets) [x] {y} @#$%^&*_+=|\\/~`',
  'Special tokens inline: <s> hi </s> <unk> <pad> <mask> [CLS] x [SEP] [UNK] [MASK] [PAD]',
  `A long word: ${'pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(3)}`,
  'a'.repeat(150),
  'Controls\u0000 zero\u200bwidth \ufeffbom tab\there\r\nnew\u0085line',
  'Lone surrogate x\ud800y and combining e\u0301\u0315 n\u0303',
  "Contractions: it's we'll they've I'm you'd THEY'RE",
  'ﬁ ligature, ＦＵＬＬＷＩＤＴＨ, Ⅻ roman, ℌ',
];
