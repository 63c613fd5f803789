import type { JsonValue } from '../../types.ts';

/** The GPT-2 hyper-parameters Lumina's decoder writer needs, in camelCase. */
export interface Gpt2Config {
  vocabSize: number;
  /** Learned positions: the longest sequence (prompt + generated) the model can take. */
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** Width of the MLP; GPT-2 uses 4 × nEmbd. */
  nInner: number;
  layerNormEpsilon: number;
  initializerRange: number;
  bosTokenId: number;
  eosTokenId: number;
  /** false: a separate `lm_head.weight` (needed for a scripted continuation). */
  tieWordEmbeddings: boolean;
}

export class Gpt2ConfigError extends Error {
  override name = 'Gpt2ConfigError';
}

export function gpt2HeadSize(config: Gpt2Config): number {
  return config.nEmbd / config.nHead;
}

/** Checks the shape-relevant values; a head size that does not divide is a config error. */
export function checkGpt2Config(config: Gpt2Config): Gpt2Config {
  for (const key of ['vocabSize', 'nPositions', 'nEmbd', 'nLayer', 'nHead', 'nInner'] as const) {
    const value = config[key];
    if (!Number.isInteger(value) || value <= 0) {
      throw new Gpt2ConfigError(`${key} must be a positive integer, got ${value}`);
    }
  }
  if (config.nEmbd % config.nHead !== 0) {
    throw new Gpt2ConfigError(`nEmbd ${config.nEmbd} is not a multiple of nHead ${config.nHead}`);
  }
  for (const key of ['bosTokenId', 'eosTokenId'] as const) {
    const id = config[key];
    if (!Number.isInteger(id) || id < 0 || id >= config.vocabSize) {
      throw new Gpt2ConfigError(`${key} ${id} is outside the vocabulary`);
    }
  }
  return config;
}

/** Defaults of HF's GPT2Config for the fields a caller leaves out. */
export function gpt2Config(
  partial: Pick<Gpt2Config, 'vocabSize' | 'bosTokenId' | 'eosTokenId'> & Partial<Gpt2Config>,
): Gpt2Config {
  const nEmbd = partial.nEmbd ?? 768;
  return checkGpt2Config({
    nPositions: 1024,
    nEmbd,
    nLayer: 12,
    nHead: 12,
    nInner: 4 * nEmbd,
    layerNormEpsilon: 1e-5,
    initializerRange: 0.02,
    tieWordEmbeddings: true,
    ...partial,
  });
}

/**
 * config.json as HF's GPT2Config writes it (the fields transformers and transformers.js read),
 * plus `lumina_seeded`, which tells apps the weights are random and the text meaningless.
 */
export function gpt2ConfigToJson(
  config: Gpt2Config,
  extra: Record<string, JsonValue> = {},
): JsonValue {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: config.vocabSize,
    n_positions: config.nPositions,
    n_ctx: config.nPositions,
    n_embd: config.nEmbd,
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_inner: config.nInner,
    activation_function: 'gelu_new',
    layer_norm_epsilon: config.layerNormEpsilon,
    initializer_range: config.initializerRange,
    resid_pdrop: 0.1,
    embd_pdrop: 0.1,
    attn_pdrop: 0.1,
    scale_attn_weights: true,
    use_cache: true,
    bos_token_id: config.bosTokenId,
    eos_token_id: config.eosTokenId,
    tie_word_embeddings: config.tieWordEmbeddings,
    torch_dtype: 'float32',
    ...extra,
  };
}
