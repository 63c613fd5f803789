/** The subset of a Hugging Face BERT `config.json` that Lumina's encoder needs, validated. */
export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  /** Only exact (erf) GELU is implemented, which is what HF's `"gelu"` means. */
  hiddenAct: 'gelu';
  padTokenId: number;
  initializerRange: number;
}

export class BertConfigError extends Error {
  override name = 'BertConfigError';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`config.json: "${field}" ${message}`);
  }
}

/** Defaults of `transformers.BertConfig` for the fields an HF config may leave out. */
const DEFAULTS = {
  layer_norm_eps: 1e-12,
  hidden_act: 'gelu',
  pad_token_id: 0,
  initializer_range: 0.02,
  type_vocab_size: 2,
} as const;

/** Parses an HF `config.json` object; every error names the offending field. */
export function parseBertConfig(json: unknown): BertConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BertConfigError('(root)', 'must be a JSON object');
  }
  const raw = json as Record<string, unknown>;

  if (raw.model_type !== undefined && raw.model_type !== 'bert') {
    throw new BertConfigError(
      'model_type',
      `is ${JSON.stringify(raw.model_type)}, expected "bert"`,
    );
  }
  if (raw.position_embedding_type !== undefined && raw.position_embedding_type !== 'absolute') {
    throw new BertConfigError(
      'position_embedding_type',
      `is ${JSON.stringify(raw.position_embedding_type)}, only "absolute" is supported`,
    );
  }
  const hiddenAct = raw.hidden_act ?? DEFAULTS.hidden_act;
  if (hiddenAct !== 'gelu') {
    throw new BertConfigError(
      'hidden_act',
      `is ${JSON.stringify(hiddenAct)}, only "gelu" (exact, erf-based) is supported`,
    );
  }

  const config: BertConfig = {
    vocabSize: positiveInteger(raw, 'vocab_size'),
    hiddenSize: positiveInteger(raw, 'hidden_size'),
    numHiddenLayers: positiveInteger(raw, 'num_hidden_layers'),
    numAttentionHeads: positiveInteger(raw, 'num_attention_heads'),
    intermediateSize: positiveInteger(raw, 'intermediate_size'),
    maxPositionEmbeddings: positiveInteger(raw, 'max_position_embeddings'),
    typeVocabSize: positiveInteger(raw, 'type_vocab_size', DEFAULTS.type_vocab_size),
    layerNormEps: positiveNumber(raw, 'layer_norm_eps', DEFAULTS.layer_norm_eps),
    hiddenAct,
    padTokenId: integer(raw, 'pad_token_id', DEFAULTS.pad_token_id),
    initializerRange: positiveNumber(raw, 'initializer_range', DEFAULTS.initializer_range),
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new BertConfigError(
      'num_attention_heads',
      `(${config.numAttentionHeads}) must divide hidden_size (${config.hiddenSize})`,
    );
  }
  if (config.padTokenId < 0 || config.padTokenId >= config.vocabSize) {
    throw new BertConfigError(
      'pad_token_id',
      `(${config.padTokenId}) must be a token id below vocab_size (${config.vocabSize})`,
    );
  }
  return config;
}

/** The config in HF `config.json` spelling, for writing a model folder. */
export function bertConfigToJson(config: BertConfig): Record<string, string | number | string[]> {
  return {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    intermediate_size: config.intermediateSize,
    max_position_embeddings: config.maxPositionEmbeddings,
    type_vocab_size: config.typeVocabSize,
    layer_norm_eps: config.layerNormEps,
    hidden_act: config.hiddenAct,
    pad_token_id: config.padTokenId,
    initializer_range: config.initializerRange,
    position_embedding_type: 'absolute',
  };
}

export function headSize(config: BertConfig): number {
  return config.hiddenSize / config.numAttentionHeads;
}

function present(raw: Record<string, unknown>, field: string, fallback?: number): unknown {
  const value = raw[field] ?? fallback;
  if (value === undefined) throw new BertConfigError(field, 'is missing');
  return value;
}

function integer(raw: Record<string, unknown>, field: string, fallback?: number): number {
  const value = present(raw, field, fallback);
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new BertConfigError(field, `must be an integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveInteger(raw: Record<string, unknown>, field: string, fallback?: number): number {
  const value = integer(raw, field, fallback);
  if (value <= 0) throw new BertConfigError(field, `must be positive, got ${value}`);
  return value;
}

function positiveNumber(raw: Record<string, unknown>, field: string, fallback?: number): number {
  const value = present(raw, field, fallback);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new BertConfigError(field, `must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}
