import {
  checkGpt2Config,
  gpt2Config,
  Gpt2ConfigError,
  type Gpt2Config,
} from '../../model/decoder/gpt2-config.ts';
import type { JsonValue } from '../../types.ts';
import type { TrainConfig } from '../config/types.ts';

/** A GPT-2's shape plus the dropout rates HF's GPT2Config carries (used only in training). */
export interface DecoderConfig extends Gpt2Config {
  /** After the embeddings (`embd_pdrop`). */
  embdPdrop: number;
  /** On the attention probabilities (`attn_pdrop`). */
  attnPdrop: number;
  /** On the attention and MLP outputs before the residual add (`resid_pdrop`). */
  residPdrop: number;
}

/** HF names of the two tanh GELUs; the exporter writes `gelu_new`, the same function. */
const TANH_GELUS = new Set(['gelu_new', 'gelu_pytorch_tanh']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A GPT-2 `config.json` (HF GPT2Config) read into a {@link DecoderConfig}. Only GPT-2 with the
 * tanh GELU is accepted: the TF.js model and the ONNX exporter implement exactly that.
 */
export function parseGpt2Config(json: unknown): DecoderConfig {
  if (!isRecord(json)) throw new Gpt2ConfigError('config.json must be an object');
  if (json['model_type'] !== undefined && json['model_type'] !== 'gpt2') {
    throw new Gpt2ConfigError(`model_type "${String(json['model_type'])}" is not gpt2`);
  }
  const activation = json['activation_function'] ?? 'gelu_new';
  if (typeof activation !== 'string' || !TANH_GELUS.has(activation)) {
    throw new Gpt2ConfigError(
      `activation_function "${String(activation)}": only gelu_new (GPT-2's tanh GELU) is implemented`,
    );
  }
  const int = (key: string, fallback?: number): number => {
    const value = json[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new Gpt2ConfigError(`config.json: ${key} must be an integer, got ${String(value)}`);
    }
    return value;
  };
  const num = (key: string, fallback: number): number => {
    const value = json[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new Gpt2ConfigError(`config.json: ${key} must be a number, got ${String(value)}`);
    }
    return value;
  };
  const nEmbd = int('n_embd', 768);
  const nInner =
    json['n_inner'] === null || json['n_inner'] === undefined ? 4 * nEmbd : int('n_inner');
  const base = checkGpt2Config({
    vocabSize: int('vocab_size'),
    nPositions: int('n_positions', 1024),
    nEmbd,
    nLayer: int('n_layer', 12),
    nHead: int('n_head', 12),
    nInner,
    layerNormEpsilon: num('layer_norm_epsilon', 1e-5),
    initializerRange: num('initializer_range', 0.02),
    bosTokenId: int('bos_token_id', 50256),
    eosTokenId: int('eos_token_id', 50256),
    tieWordEmbeddings: json['tie_word_embeddings'] !== false,
  });
  return {
    ...base,
    embdPdrop: num('embd_pdrop', 0.1),
    attnPdrop: num('attn_pdrop', 0.1),
    residPdrop: num('resid_pdrop', 0.1),
  };
}

/** The dropout fields of config.json, to pass to `gpt2ConfigToJson` as extras. */
export function dropoutJson(config: DecoderConfig): Record<string, JsonValue> {
  return {
    embd_pdrop: config.embdPdrop,
    attn_pdrop: config.attnPdrop,
    resid_pdrop: config.residPdrop,
  };
}

/** Token ids a decoder config needs from its tokenizer. */
export interface DecoderTokenIds {
  vocabSize: number;
  bosId: number;
  eosId: number;
}

/**
 * Refuses a config that is not for a decoder: the entry points (a decoder run in the store,
 * `lumina train clm`, the Train view) check this before any work starts.
 */
export function assertDecoderTrainConfig(config: TrainConfig): void {
  const { architecture, hidden_act } = config.model;
  if (architecture !== 'gpt2') {
    throw new RangeError(
      `model.architecture is "${architecture}"; a decoder (causal-LM) run needs "gpt2"`,
    );
  }
  if (hidden_act !== 'gelu_new') {
    throw new RangeError(`model.hidden_act "${hidden_act}": a gpt2 decoder uses "gelu_new"`);
  }
}

/**
 * The GPT-2 a training config (`model.architecture: gpt2`) describes. The model section's sizes
 * are read as GPT-2's: d_model → n_embd, n_layers → n_layer, n_heads → n_head, d_ff → n_inner,
 * max_seq_len → n_positions, dropout → embd/resid_pdrop, attention_dropout → attn_pdrop; the
 * activation is gelu_new; `type_vocab_size` and the masking fields do not apply (validation
 * holds them at their defaults). The output head is tied to the token embeddings, as GPT-2's.
 * A gpt2 section with another activation is refused; one still labelled bert (configs and stored
 * runs from before `architecture` had gpt2) is read the same way, since its sizes mean the same.
 */
export function decoderConfigFromTrainConfig(
  config: TrainConfig,
  tokens: DecoderTokenIds,
): DecoderConfig {
  const { model } = config;
  if (model.architecture === 'gpt2') assertDecoderTrainConfig(config);
  const vocabSize = model.vocab_size === 'auto' ? tokens.vocabSize : model.vocab_size;
  if (vocabSize < tokens.vocabSize) {
    throw new RangeError(
      `model.vocab_size ${vocabSize} is smaller than the tokenizer's ${tokens.vocabSize} ids`,
    );
  }
  const base = gpt2Config({
    vocabSize,
    bosTokenId: tokens.bosId,
    eosTokenId: tokens.eosId,
    nPositions: model.max_seq_len,
    nEmbd: model.d_model,
    nLayer: model.n_layers,
    nHead: model.n_heads,
    nInner: model.d_ff,
    layerNormEpsilon: model.layer_norm_eps,
    initializerRange: model.initializer_range,
    tieWordEmbeddings: true,
  });
  return {
    ...base,
    embdPdrop: model.dropout,
    attnPdrop: model.attention_dropout,
    residPdrop: model.dropout,
  };
}
