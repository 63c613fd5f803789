import type { Pooling } from './types.ts';

/** The settings a sentence-transformers folder records for how it was trained to embed. */
export interface SentenceTransformersDefaults {
  pooling?: Pooling;
  maxTokens?: number;
  queryPrefix?: string;
  documentPrefix?: string;
}

/** The side files read, by their path in the folder; each may be absent (null). */
export const SENTENCE_TRANSFORMERS_FILES = [
  '1_Pooling/config.json',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
] as const;

/**
 * Reads `1_Pooling/config.json`, `sentence_bert_config.json` and the prompts of
 * `config_sentence_transformers.json` (each may be null).
 */
export function sentenceTransformersDefaults(
  poolingConfig: unknown,
  bertConfig: unknown,
  modelConfig: unknown = null,
): SentenceTransformersDefaults {
  const defaults: SentenceTransformersDefaults = {};
  const prompts = isRecord(modelConfig) ? modelConfig['prompts'] : undefined;
  if (isRecord(prompts)) {
    const query = prompts['query'];
    const document = prompts['document'] ?? prompts['passage'];
    if (typeof query === 'string') defaults.queryPrefix = query;
    if (typeof document === 'string') defaults.documentPrefix = document;
  }
  const pooling = poolingFrom(poolingConfig);
  if (pooling) defaults.pooling = pooling;
  const maxSeqLength = isRecord(bertConfig) ? bertConfig['max_seq_length'] : undefined;
  if (typeof maxSeqLength === 'number' && Number.isInteger(maxSeqLength) && maxSeqLength > 0) {
    defaults.maxTokens = maxSeqLength;
  }
  return defaults;
}

function poolingFrom(config: unknown): Pooling | undefined {
  if (!isRecord(config)) return undefined;
  if (config['pooling_mode_mean_tokens'] === true) return 'mean';
  if (config['pooling_mode_cls_token'] === true) return 'cls';
  if (config['pooling_mode_lasttoken'] === true) return 'last-token';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
