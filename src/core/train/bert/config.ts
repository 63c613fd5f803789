import { parseBertConfig, type BertConfig, BertConfigError } from '../../model/bert-config.ts';
import type { GeluVariant } from '../transformer/layers.ts';

/**
 * Activations of HF's `ACT2FN` that the TF.js encoder implements: `gelu` is the exact erf form;
 * `gelu_new` and `gelu_pytorch_tanh` are the tanh approximation (same formula, HF keeps both names).
 */
export type EncoderActivation = GeluVariant;

/** A BERT config for the trainable encoder: the exporter's config plus dropout and activation. */
export interface BertEncoderConfig extends Omit<BertConfig, 'hiddenAct'> {
  hiddenAct: EncoderActivation;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
}

const ACTIVATIONS: readonly EncoderActivation[] = ['gelu', 'gelu_new', 'gelu_pytorch_tanh'];
/** `transformers.BertConfig` defaults. */
const DEFAULT_DROPOUT = 0.1;

/** Parses an HF BERT `config.json`; every error names the offending field. */
export function parseBertEncoderConfig(json: unknown): BertEncoderConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new BertConfigError('(root)', 'must be a JSON object');
  }
  const raw = json as Record<string, unknown>;
  const hiddenAct = raw.hidden_act ?? 'gelu';
  if (!ACTIVATIONS.includes(hiddenAct as EncoderActivation)) {
    throw new BertConfigError(
      'hidden_act',
      `is ${JSON.stringify(hiddenAct)}, expected one of ${ACTIVATIONS.map((a) => `"${a}"`).join(', ')}`,
    );
  }
  // The shared parser knows only exact GELU (all the ONNX exporter writes); the rest is checked here.
  const base = parseBertConfig({ ...raw, hidden_act: 'gelu' });
  return {
    ...base,
    hiddenAct: hiddenAct as EncoderActivation,
    hiddenDropoutProb: probability(raw, 'hidden_dropout_prob'),
    attentionProbsDropoutProb: probability(raw, 'attention_probs_dropout_prob'),
  };
}

/** The encoder config for an already parsed BERT config (HF's default dropout unless given). */
export function encoderConfigFromBert(
  config: BertConfig,
  dropout: { hidden?: number; attention?: number } = {},
): BertEncoderConfig {
  return {
    ...config,
    hiddenDropoutProb: dropout.hidden ?? DEFAULT_DROPOUT,
    attentionProbsDropoutProb: dropout.attention ?? DEFAULT_DROPOUT,
  };
}

/** The exporter's view of the config; only exact GELU has an ONNX export. */
export function exportableBertConfig(config: BertEncoderConfig): BertConfig {
  if (config.hiddenAct !== 'gelu') {
    throw new BertConfigError(
      'hidden_act',
      `is "${config.hiddenAct}"; only "gelu" can be exported to ONNX`,
    );
  }
  const { hiddenDropoutProb: _hidden, attentionProbsDropoutProb: _attention, ...rest } = config;
  return { ...rest, hiddenAct: 'gelu' };
}

function probability(raw: Record<string, unknown>, field: string): number {
  const value = raw[field] ?? DEFAULT_DROPOUT;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new BertConfigError(field, `must be a number in [0, 1), got ${JSON.stringify(value)}`);
  }
  return value;
}
