import type { TokenBatch } from './types.ts';

/** Special tokens a tokenizer adds around one text: [CLS] … [SEP] is { before: 1, after: 1 }. */
export interface SpecialTokenLayout {
  before: number;
  after: number;
}

/**
 * Finds where the plain encoding of a probe text sits inside its encoding with special tokens.
 * Truncation must cut the text, not the trailing [SEP] or EOS (transformers.js's own truncation
 * cuts the end of the full sequence, which drops them and breaks parity with sentence-transformers).
 */
export function specialTokenLayout(
  withSpecials: readonly number[],
  plain: readonly number[],
): SpecialTokenLayout {
  const extra = withSpecials.length - plain.length;
  if (plain.length === 0 || extra < 0) {
    throw new Error(
      'The tokenizer encodes its probe text inconsistently; cannot find its specials',
    );
  }
  for (let before = 0; before <= extra; before++) {
    if (plain.every((id, i) => withSpecials[before + i] === id)) {
      return { before, after: extra - before };
    }
  }
  throw new Error('The tokenizer changes the text tokens when adding special tokens');
}

/** Keeps the specials and the first text tokens so that at most `maxTokens` remain. */
export function truncateKeepingSpecials<T>(
  tokens: readonly T[],
  maxTokens: number,
  layout: SpecialTokenLayout,
): T[] {
  if (tokens.length <= maxTokens) return [...tokens];
  const textBudget = maxTokens - layout.before - layout.after;
  if (textBudget < 1) {
    throw new Error(
      `maxTokens ${maxTokens} leaves no room for text next to ${layout.before + layout.after} special tokens`,
    );
  }
  return [
    ...tokens.slice(0, layout.before + textBudget),
    ...tokens.slice(tokens.length - layout.after),
  ];
}

export interface EncodedTexts {
  /** Per text, with special tokens, not truncated. */
  inputIds: readonly (readonly number[])[];
  tokenTypeIds?: readonly (readonly number[])[] | undefined;
}

/** Truncates each text and right-pads the batch to its longest text. */
export function buildTokenBatch(
  encoded: EncodedTexts,
  maxTokens: number,
  layout: SpecialTokenLayout,
  padTokenId: number,
): TokenBatch {
  const ids = encoded.inputIds.map((row) => truncateKeepingSpecials(row, maxTokens, layout));
  const types = encoded.tokenTypeIds?.map((row) => truncateKeepingSpecials(row, maxTokens, layout));
  const batch = ids.length;
  const seq = Math.max(0, ...ids.map((row) => row.length));
  const inputIds = new Int32Array(batch * seq).fill(padTokenId);
  const attentionMask = new Int32Array(batch * seq);
  const tokenTypeIds = types ? new Int32Array(batch * seq) : null;
  const lengths = new Int32Array(batch);
  ids.forEach((row, b) => {
    lengths[b] = row.length;
    inputIds.set(row, b * seq);
    attentionMask.fill(1, b * seq, b * seq + row.length);
    const typeRow = types?.[b];
    if (tokenTypeIds && typeRow) tokenTypeIds.set(typeRow, b * seq);
  });
  return { batch, seq, inputIds, attentionMask, tokenTypeIds, lengths };
}
