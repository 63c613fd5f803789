/**
 * The normalizers Lumina's trained tokenizers use (Lowercase, BertNormalizer), applied exactly as
 * transformers.js applies them, plus an alignment from the normalized text back to the original
 * so every token gets offsets into the user's text.
 */
import type { NormalizerJson } from './types.ts';

/** transformers.js' `is_chinese_char` ranges (the CJK blocks BERT spaces out). */
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

// The same expressions as transformers.js, so both sides classify every character alike.
const CONTROL = /^\p{Cc}|\p{Cf}|\p{Co}|\p{Cs}$/u;
const SINGLE_SPACE = /^\s$/;
const MARK = /\p{Mn}/gu;

function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return CONTROL.test(ch);
}

function stripAccents(text: string): string {
  return text.normalize('NFD').replace(MARK, '');
}

type BertConfig = Extract<NormalizerJson, { type: 'BertNormalizer' }>;

function caseAndAccents(text: string, config: BertConfig): string {
  if (config.lowercase) {
    const lower = text.toLowerCase();
    return config.strip_accents !== false ? stripAccents(lower) : lower;
  }
  return config.strip_accents ? stripAccents(text) : text;
}

/** BertNormalizer over a whole text, step for step as transformers.js runs it. */
function bertNormalize(text: string, config: BertConfig): string {
  let out = text;
  if (config.clean_text) {
    let cleaned = '';
    for (const ch of out) {
      const unit = ch.charCodeAt(0);
      if (unit === 0 || unit === 0xfffd || isControl(ch)) continue;
      cleaned += SINGLE_SPACE.test(ch) ? ' ' : ch;
    }
    out = cleaned;
  }
  if (config.handle_chinese_chars) {
    // Per UTF-16 unit, as transformers.js does: characters outside the BMP are never spaced.
    let spaced = '';
    for (let i = 0; i < out.length; i++) {
      const unit = out.charCodeAt(i);
      spaced += isChineseChar(unit) ? ` ${out[i] ?? ''} ` : (out[i] ?? '');
    }
    out = spaced;
  }
  return caseAndAccents(out, config);
}

/** BertNormalizer of a single code point: what it becomes, alone. */
function bertNormalizeChar(ch: string, config: BertConfig): string {
  let out = ch;
  if (config.clean_text) {
    const unit = ch.charCodeAt(0);
    if (unit === 0 || unit === 0xfffd || isControl(ch)) return '';
    if (SINGLE_SPACE.test(ch)) out = ' ';
  }
  if (config.handle_chinese_chars && out.length === 1 && isChineseChar(out.charCodeAt(0))) {
    out = ` ${out} `;
  }
  return caseAndAccents(out, config);
}

/** A normalized text and, for each of its UTF-16 units, the original span it came from. */
export interface Normalized {
  text: string;
  /** Original [start, end) of a normalized span [start, end); an empty span maps to a point. */
  map: (start: number, end: number) => [number, number];
}

const identity = (start: number, end: number): [number, number] => [start, end];

function wholeText(text: string, normalizer: NormalizerJson): string {
  return normalizer.type === 'Lowercase' ? text.toLowerCase() : bertNormalize(text, normalizer);
}

function oneChar(ch: string, normalizer: NormalizerJson): string {
  return normalizer.type === 'Lowercase' ? ch.toLowerCase() : bertNormalizeChar(ch, normalizer);
}

/** Just the normalized text, for training. */
export function normalizeText(text: string, normalizer: NormalizerJson | null): string {
  return normalizer ? wholeText(text, normalizer) : text;
}

/**
 * Normalizes `text` with its alignment. The content is the whole-text normalization (what
 * transformers.js produces: Greek final sigma and canonical mark order depend on neighbours);
 * the alignment comes from normalizing each code point alone, which yields the same units in
 * the same count, so unit i of one is unit i of the other up to those in-place differences.
 */
export function normalizeWithAlignment(
  text: string,
  normalizer: NormalizerJson | null,
): Normalized {
  if (!normalizer) return { text, map: identity };
  const whole = wholeText(text, normalizer);
  const starts: number[] = [];
  const ends: number[] = [];
  let position = 0;
  for (const ch of text) {
    const piece = oneChar(ch, normalizer);
    for (let i = 0; i < piece.length; i++) {
      starts.push(position);
      ends.push(position + ch.length);
    }
    position += ch.length;
  }
  if (starts.length !== whole.length) {
    throw new Error(
      `normalizer alignment: ${starts.length} aligned units for ${whole.length} normalized ones`,
    );
  }
  const total = text.length;
  return {
    text: whole,
    map(start, end) {
      const from = start < starts.length ? (starts[start] ?? total) : total;
      if (end <= start) return [from, from];
      return [from, ends[end - 1] ?? total];
    },
  };
}
