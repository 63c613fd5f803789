import { Tokenizer } from '@huggingface/tokenizers';

/** What MLM training needs from a tokenizer: plain ids per text and the special token ids. */
export interface MlmTokenizer {
  /** Highest id + 1: the model's vocabulary must be at least this large. */
  readonly vocabSize: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly maskId: number;
  /** Every special token id: never masked, never drawn as a random replacement. */
  readonly specialIds: readonly number[];
  /** Ids of the text without special tokens, truncation or padding. */
  encode(text: string): number[];
}

export class MlmTokenizerError extends Error {
  override name = 'MlmTokenizerError';
}

interface AddedToken {
  id: number;
  content: string;
  special?: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** BERT spells its specials [CLS]…, RoBERTa-style byte-level BPE <s>…; either works. */
const ROLES = {
  cls: ['[CLS]', '<s>'],
  sep: ['[SEP]', '</s>'],
  pad: ['[PAD]', '<pad>'],
  mask: ['[MASK]', '<mask>'],
} as const;

/**
 * An {@link MlmTokenizer} over an HF `tokenizer.json` (already parsed), run by
 * @huggingface/tokenizers, the same library transformers.js uses, so training sees exactly the
 * ids inference will.
 */
export function mlmTokenizerFromJson(
  tokenizerJson: unknown,
  tokenizerConfig?: unknown,
): MlmTokenizer {
  if (!isRecord(tokenizerJson) || !isRecord(tokenizerJson['model'])) {
    throw new MlmTokenizerError('tokenizer.json: expected an object with a "model" section');
  }
  const json = { ...tokenizerJson, truncation: null, padding: null };
  const tokenizer = new Tokenizer(json, isRecord(tokenizerConfig) ? tokenizerConfig : {});
  const vocab = tokenizerJson['model']['vocab'];
  let maxId = -1;
  if (isRecord(vocab)) {
    for (const id of Object.values(vocab)) if (typeof id === 'number') maxId = Math.max(maxId, id);
  } else if (Array.isArray(vocab)) {
    // Unigram: [[piece, score], …], ids are positions.
    maxId = vocab.length - 1;
  }
  const added = Array.isArray(tokenizerJson['added_tokens'])
    ? (tokenizerJson['added_tokens'] as unknown[]).filter(
        (token): token is AddedToken =>
          isRecord(token) &&
          typeof token['id'] === 'number' &&
          typeof token['content'] === 'string',
      )
    : [];
  for (const token of added) maxId = Math.max(maxId, token.id);
  const find = (role: keyof typeof ROLES): number => {
    for (const name of ROLES[role]) {
      const id = tokenizer.token_to_id(name);
      if (id !== undefined) return id;
    }
    throw new MlmTokenizerError(
      `tokenizer.json has no ${ROLES[role].join(' or ')} token, which MLM training needs`,
    );
  };
  const clsId = find('cls');
  const sepId = find('sep');
  const padId = find('pad');
  const maskId = find('mask');
  const specialIds = [
    ...new Set([clsId, sepId, padId, maskId, ...added.filter((t) => t.special).map((t) => t.id)]),
  ].sort((a, b) => a - b);
  return {
    vocabSize: maxId + 1,
    clsId,
    sepId,
    padId,
    maskId,
    specialIds,
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
  };
}
