/** The model section to and from a Hugging Face `config.json` (BERT; GPT-2 on input). */
import {
  bertConfigToJson,
  BertConfigError,
  parseBertConfig,
  type BertConfig,
} from '../../model/bert-config.ts';
import { Gpt2ConfigError } from '../../model/decoder/gpt2-config.ts';
import { parseGpt2Config } from '../decoder/config.ts';
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
  // The MLM path builds encoders only; a gpt2 section goes to decoderConfigFromTrainConfig.
  if (model.architecture !== 'bert') {
    throw new BertConfigError(
      'architecture',
      `is "${model.architecture}": masked-LM training builds a bert encoder; train a gpt2 decoder with the causal-LM objective (lumina train clm)`,
    );
  }
  if (model.hidden_act !== 'gelu') {
    throw new BertConfigError('hidden_act', `"${model.hidden_act}": a bert encoder uses "gelu"`);
  }
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
 * The gpt2 model section of an HF GPT-2 `config.json`. The section has one dropout for
 * embeddings and residuals and always ties the output head, so configs that differ there are
 * refused (`Gpt2ConfigError`) rather than trained as something else.
 */
function gpt2ModelSection(json: unknown): ModelSection {
  const gpt2 = parseGpt2Config(json);
  if (gpt2.embdPdrop !== gpt2.residPdrop) {
    throw new Gpt2ConfigError(
      `config.json: embd_pdrop (${gpt2.embdPdrop}) and resid_pdrop (${gpt2.residPdrop}) differ; model.dropout sets both`,
    );
  }
  if (!gpt2.tieWordEmbeddings) {
    throw new Gpt2ConfigError(
      'config.json: tie_word_embeddings is false; Lumina trains GPT-2 with the tied head',
    );
  }
  return {
    architecture: 'gpt2',
    vocab_size: gpt2.vocabSize,
    d_model: gpt2.nEmbd,
    n_layers: gpt2.nLayer,
    n_heads: gpt2.nHead,
    d_ff: gpt2.nInner,
    max_seq_len: gpt2.nPositions,
    // Not read by a decoder; the default keeps the section valid.
    type_vocab_size: 2,
    dropout: gpt2.residPdrop,
    attention_dropout: gpt2.attnPdrop,
    layer_norm_eps: gpt2.layerNormEpsilon,
    hidden_act: 'gelu_new',
    initializer_range: gpt2.initializerRange,
  };
}

/**
 * The model section of an HF `config.json`: a BERT one (throws `BertConfigError` naming the
 * field), or a GPT-2 one (`model_type: "gpt2"`, throws `Gpt2ConfigError`). `pad_token_id` and
 * the GPT-2 bos/eos ids belong to the tokenizer and are not kept.
 */
export function modelSectionFromHfConfig(json: unknown): ModelSection {
  if (typeof json === 'object' && json !== null && 'model_type' in json) {
    if (json.model_type === 'gpt2') return gpt2ModelSection(json);
  }
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
