import type { JsonValue } from '../types.ts';
import type { BertConfig } from './bert-config.ts';

export interface SentenceTransformersOptions {
  /** Tokens per input; all-MiniLM-L6-v2 uses 256 (its tokenizer.json says 128, a leftover). */
  maxSeqLength?: number;
}

/**
 * The sentence-transformers side files of a model folder: Transformer → mean Pooling → Normalize,
 * the pipeline of all-MiniLM-L6-v2, keyed by their path inside the folder.
 */
export function sentenceTransformersFiles(
  config: BertConfig,
  options: SentenceTransformersOptions = {},
): Map<string, JsonValue> {
  return new Map<string, JsonValue>([
    [
      'modules.json',
      [
        { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
        { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
        { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
      ],
    ],
    [
      'sentence_bert_config.json',
      { max_seq_length: options.maxSeqLength ?? 256, do_lower_case: false },
    ],
    [
      '1_Pooling/config.json',
      {
        word_embedding_dimension: config.hiddenSize,
        pooling_mode_cls_token: false,
        pooling_mode_mean_tokens: true,
        pooling_mode_max_tokens: false,
        pooling_mode_mean_sqrt_len_tokens: false,
        pooling_mode_weightedmean_tokens: false,
        pooling_mode_lasttoken: false,
        include_prompt: true,
      },
    ],
    [
      'config_sentence_transformers.json',
      { prompts: {}, default_prompt_name: null, similarity_fn_name: 'cosine' },
    ],
  ]);
}
