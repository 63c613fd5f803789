import type { BertWeights, Float32Tensor } from '../../model/init.ts';
import { bertTensorSpecs } from '../../model/bert-tensors.ts';
import type { BertEncoderConfig } from '../bert/config.ts';
import { checkBertWeights } from '../bert/weights-io.ts';

/** Prefix of the encoder inside task models such as BertForMaskedLM. */
const TASK_PREFIX = 'bert.';

export interface InferenceWeights {
  /** The encoder under its HF `BertModel` names, checked against the config. */
  weights: BertWeights;
  /** Every checkpoint tensor left out (optimizer moments, the MLM head, …), sorted. */
  dropped: string[];
}

/**
 * The weights-only model inside a training checkpoint: exactly the encoder's tensors (under their
 * `BertModel` names, or under `bert.` as BertForMaskedLM stores them), the pooler when present.
 * Anything else is training state, whatever the trainer named it, and is dropped and listed.
 */
export function extractInferenceModel(
  config: BertEncoderConfig,
  checkpointTensors: ReadonlyMap<string, Float32Tensor>,
): InferenceWeights {
  // Shapes do not depend on the activation; the spec list wants the exporter's config type.
  const names = bertTensorSpecs({ ...config, hiddenAct: 'gelu' }, { pooler: true }).map(
    (spec) => spec.name,
  );
  const plain = names.some((name) => checkpointTensors.has(name));
  const prefix = plain ? '' : TASK_PREFIX;
  const weights: BertWeights = new Map();
  for (const name of names) {
    const tensor = checkpointTensors.get(`${prefix}${name}`);
    if (tensor) weights.set(name, tensor);
  }
  checkBertWeights(config, weights);
  const kept = new Set(names.map((name) => `${prefix}${name}`));
  const dropped = [...checkpointTensors.keys()].filter((name) => !kept.has(name)).sort();
  return { weights, dropped };
}
