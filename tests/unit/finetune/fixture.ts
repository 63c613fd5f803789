import {
  createBertEncoder,
  parseBertEncoderConfig,
  type BertEncoder,
} from '../../../src/core/train/bert/index.ts';
import type { SentenceTokenizer } from '../../../src/core/finetune/index.ts';

export const VOCAB = 64;

/** A whitespace tokenizer over a fixed vocabulary: ids 3… by first appearance. */
export function toyTokenizer(): SentenceTokenizer {
  const ids = new Map<string, number>();
  return {
    clsId: 1,
    sepId: 2,
    padId: 0,
    encode(text: string): number[] {
      return text
        .toLowerCase()
        .split(/\s+/)
        .filter(Boolean)
        .map((word) => {
          let id = ids.get(word);
          if (id === undefined) {
            id = 3 + ids.size;
            if (id >= VOCAB) throw new RangeError('toy vocabulary is full');
            ids.set(word, id);
          }
          return id;
        });
    },
  };
}

export function tinyEncoder(seed = 3, dropout = 0): Promise<BertEncoder> {
  const config = parseBertEncoderConfig({
    vocab_size: VOCAB,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 32,
    hidden_dropout_prob: dropout,
    attention_probs_dropout_prob: dropout,
  });
  return createBertEncoder(config, undefined, { seed });
}
