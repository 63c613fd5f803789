import { Tokenizer } from '@huggingface/tokenizers';
import { trainingDataPreparer } from '../data/prepare.ts';
import type { SequenceSet } from '../data/sequences.ts';

/** What causal-LM training needs from a tokenizer. */
export interface CausalTokenizer {
  /** Highest id + 1. */
  readonly vocabSize: number;
  readonly bosId: number;
  /** Ends every document in the token stream (GPT-2's `<|endoftext|>` role). */
  readonly eosId: number;
  /** Fills the last short block; never a target (its attention mask is 0). */
  readonly padId: number;
  /** Ids of the text without special tokens. */
  encode(text: string): number[];
  /** Text of ids, special tokens dropped. */
  decode(ids: readonly number[]): string;
}

export class CausalTokenizerError extends Error {
  override name = 'CausalTokenizerError';
}

const ROLES = {
  bos: ['<s>', '<|endoftext|>', '[CLS]'],
  eos: ['</s>', '<|endoftext|>', '[SEP]'],
  pad: ['<pad>', '[PAD]'],
} as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A {@link CausalTokenizer} over an HF `tokenizer.json`, run by @huggingface/tokenizers (the
 * library transformers.js uses), so training sees the ids generation will. Without a pad token
 * the end-of-text token pads, as GPT-2 does.
 */
export function causalTokenizerFromJson(tokenizerJson: unknown): CausalTokenizer {
  if (!isRecord(tokenizerJson) || !isRecord(tokenizerJson['model'])) {
    throw new CausalTokenizerError('tokenizer.json: expected an object with a "model" section');
  }
  const json = { ...tokenizerJson, truncation: null, padding: null, post_processor: null };
  const tokenizer = new Tokenizer(json, {});
  let maxId = -1;
  const vocab = tokenizerJson['model']['vocab'];
  if (isRecord(vocab)) {
    for (const id of Object.values(vocab)) if (typeof id === 'number') maxId = Math.max(maxId, id);
  } else if (Array.isArray(vocab)) maxId = vocab.length - 1;
  const added = Array.isArray(tokenizerJson['added_tokens']) ? tokenizerJson['added_tokens'] : [];
  for (const token of added) {
    if (isRecord(token) && typeof token['id'] === 'number') maxId = Math.max(maxId, token['id']);
  }
  const find = (role: keyof typeof ROLES): number | undefined => {
    for (const name of ROLES[role]) {
      const id = tokenizer.token_to_id(name);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  const eosId = find('eos');
  if (eosId === undefined) {
    throw new CausalTokenizerError(
      `tokenizer.json has no end-of-text token (${ROLES.eos.join(', ')}), which ends every document`,
    );
  }
  return {
    vocabSize: maxId + 1,
    bosId: find('bos') ?? eosId,
    eosId,
    padId: find('pad') ?? eosId,
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    decode: (ids) => tokenizer.decode([...ids], { skip_special_tokens: true }),
  };
}

/**
 * GPT-2's pretraining layout (HF run_clm.py's `group_texts`): every document's ids followed by
 * the end-of-text id, all concatenated and cut into blocks of `blockSize`. The last short block
 * is kept and right-padded (mask 0) instead of dropped, so small corpora lose nothing.
 */
export function causalBlocks(
  documents: readonly (readonly number[])[],
  blockSize: number,
  tokenizer: Pick<CausalTokenizer, 'eosId' | 'padId'>,
): SequenceSet {
  if (!Number.isInteger(blockSize) || blockSize < 2) {
    throw new RangeError(
      `seq_len must be an integer ≥ 2 (a token and its successor), got ${blockSize}`,
    );
  }
  const stream: number[] = [];
  for (const ids of documents) {
    if (ids.length === 0) continue;
    for (const id of ids) stream.push(id);
    stream.push(tokenizer.eosId);
  }
  const set: SequenceSet = { seqLen: blockSize, inputIds: [], attentionMask: [], tokens: 0 };
  for (let start = 0; start < stream.length; start += blockSize) {
    const row = stream.slice(start, start + blockSize);
    // A one-token block has no successor to predict.
    if (row.length < 2) break;
    const mask = row.map(() => 1);
    set.tokens += row.length;
    while (row.length < blockSize) {
      row.push(tokenizer.padId);
      mask.push(0);
    }
    set.inputIds.push(row);
    set.attentionMask.push(mask);
  }
  return set;
}

/**
 * Tokenises texts into causal-LM blocks ({@link causalBlocks}). As for MLM, the split is drawn per
 * text before concatenation, see `prepareTrainingData` (data/prepare.ts).
 */
export const prepareCausalLmData = trainingDataPreparer<CausalTokenizer>({
  pack: causalBlocks,
  unit: 'blocks',
});
