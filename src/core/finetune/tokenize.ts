import type { TokenBatch } from '../train/bert/inputs.ts';

/** What sentence encoding needs of a tokenizer (the MLM tokenizer of src/core/train fits). */
export interface SentenceTokenizer {
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  /** Ids of the text without special tokens, truncation or padding. */
  encode(text: string): number[];
}

/** sentence-transformers' default max_seq_length for BERT-family models. */
export const DEFAULT_MAX_SEQUENCE_LENGTH = 128;

/** `[CLS] ids… [SEP]`, truncated to `maxLength` tokens in all, as BERT tokenizers do. */
export function sentenceIds(
  tokenizer: SentenceTokenizer,
  text: string,
  maxLength = DEFAULT_MAX_SEQUENCE_LENGTH,
): number[] {
  if (!Number.isInteger(maxLength) || maxLength < 2) {
    throw new RangeError(`maxLength must be an integer ≥ 2, got ${maxLength}`);
  }
  return [tokenizer.clsId, ...tokenizer.encode(text).slice(0, maxLength - 2), tokenizer.sepId];
}

/** Rows of ids padded to the longest row with `padId`, and their attention mask. */
export function padSequences(rows: readonly (readonly number[])[], padId: number): TokenBatch {
  const length = Math.max(0, ...rows.map((row) => row.length));
  return {
    inputIds: rows.map((row) => [...row, ...new Array<number>(length - row.length).fill(padId)]),
    attentionMask: rows.map((row) => Array.from({ length }, (_, i) => (i < row.length ? 1 : 0))),
  };
}

/** A padded batch of single sentences. */
export function tokenizeSentences(
  tokenizer: SentenceTokenizer,
  texts: readonly string[],
  maxLength = DEFAULT_MAX_SEQUENCE_LENGTH,
): TokenBatch {
  return padSequences(
    texts.map((text) => sentenceIds(tokenizer, text, maxLength)),
    tokenizer.padId,
  );
}
