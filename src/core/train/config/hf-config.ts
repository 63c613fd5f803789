/** The model section to and from a Hugging Face BERT `config.json`. */
import {
  bertConfigToJson,
  BertConfigError,
  parseBertConfig,
  type BertConfig,
} from '../../model/bert-config.ts';
import type { ModelSection } from './types.ts';

/** HF's `BertConfig` defaults for the dropout fields. */
const HF_DEFAULT_DROPOUT = 0.1;

export interface TokenizerFacts {
  vocabSize: number;
  padTokenId: number;
}

/** The vocabulary size the model gets: the config's, or the tokenizer's when it says "auto". */
export function resolveVocabSize(model: ModelSection, tokenizerVocabSize: number): number {
  if (model.vocab_size === 'auto') return tokenizerVocabSize;
  if (model.vocab_size < tokenizerVocabSize) {
    throw new BertConfigError(
      'vocab_size',
      `(${model.vocab_size}) is smaller than the tokenizer's vocabulary (${tokenizerVocabSize}); use "auto"`,
    );
  }
  return model.vocab_size;
}

/** The encoder's `BertConfig`, validated by the same parser that reads config.json files. */
export function modelSectionToBertConfig(
  model: ModelSection,
  tokenizer: TokenizerFacts,
): BertConfig {
  return parseBertConfig(modelSectionToHfConfig(model, tokenizer));
}

/** An HF `config.json` object: bert-config's fields plus the dropout probabilities. */
export function modelSectionToHfConfig(
  model: ModelSection,
  tokenizer: TokenizerFacts,
): Record<string, string | number | string[]> {
  const config: BertConfig = {
    vocabSize: resolveVocabSize(model, tokenizer.vocabSize),
    hiddenSize: model.d_model,
    numHiddenLayers: model.n_layers,
    numAttentionHeads: model.n_heads,
    intermediateSize: model.d_ff,
    maxPositionEmbeddings: model.max_seq_len,
    typeVocabSize: model.type_vocab_size,
    layerNormEps: model.layer_norm_eps,
    hiddenAct: model.hidden_act,
    padTokenId: tokenizer.padTokenId,
    initializerRange: model.initializer_range,
  };
  return {
    ...bertConfigToJson(config),
    hidden_dropout_prob: model.dropout,
    attention_probs_dropout_prob: model.attention_dropout,
  };
}

function dropout(raw: Record<string, unknown>, field: string): number {
  const value = raw[field] ?? HF_DEFAULT_DROPOUT;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new BertConfigError(
      field,
      `must be a number from 0 to below 1, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * The model section of an HF BERT `config.json` (throws `BertConfigError` naming the field).
 * `pad_token_id` belongs to the tokenizer and is not kept.
 */
export function modelSectionFromHfConfig(json: unknown): ModelSection {
  const bert = parseBertConfig(json);
  const raw = json as Record<string, unknown>;
  return {
    architecture: 'bert',
    vocab_size: bert.vocabSize,
    d_model: bert.hiddenSize,
    n_layers: bert.numHiddenLayers,
    n_heads: bert.numAttentionHeads,
    d_ff: bert.intermediateSize,
    max_seq_len: bert.maxPositionEmbeddings,
    type_vocab_size: bert.typeVocabSize,
    dropout: dropout(raw, 'hidden_dropout_prob'),
    attention_dropout: dropout(raw, 'attention_probs_dropout_prob'),
    layer_norm_eps: bert.layerNormEps,
    hidden_act: bert.hiddenAct,
    initializer_range: bert.initializerRange,
  };
}
