import type { BertWeights } from '../../model/init.ts';
import { bertTensorSpecs } from '../../model/bert-tensors.ts';
import {
  decodeSafetensors,
  encodeSafetensors,
  tensorToFloat32,
  type SafetensorsTensor,
} from '../../model/safetensors.ts';
import type { BertEncoderConfig } from './config.ts';
import { exportableBertConfig } from './config.ts';

/** Prefix of the encoder's tensors in HF task checkpoints (BertForMaskedLM, …). */
const TASK_PREFIX = 'bert.';

export class BertWeightsError extends Error {
  override name = 'BertWeightsError';
}

export interface SplitStateDict {
  /** The encoder's tensors under their `BertModel` names (task prefix removed). */
  encoder: BertWeights;
  /** Everything else, under its name in the file: heads such as `cls.predictions.*`. */
  rest: BertWeights;
}

/**
 * Reads a `model.safetensors` (BertModel, or a task model whose encoder sits under `bert.`) and
 * checks the encoder's tensors against the config: every tensor present, every shape right.
 * F16 tensors are widened to float32.
 */
export function readBertSafetensors(
  config: BertEncoderConfig,
  bytes: Uint8Array | ArrayBuffer,
): SplitStateDict {
  const { tensors } = decodeSafetensors(bytes);
  const prefixed = [...tensors.keys()].some((name) => name.startsWith(TASK_PREFIX));
  const encoder: BertWeights = new Map();
  const rest: BertWeights = new Map();
  for (const [name, tensor] of tensors) {
    const float = { dtype: 'F32' as const, shape: tensor.shape, data: tensorToFloat32(tensor) };
    if (prefixed && name.startsWith(TASK_PREFIX))
      encoder.set(name.slice(TASK_PREFIX.length), float);
    else if (!prefixed && isEncoderName(name)) encoder.set(name, float);
    else rest.set(name, float);
  }
  checkBertWeights(config, encoder);
  return { encoder, rest };
}

/** Writes encoder weights (and optional extra tensors) as `model.safetensors` bytes. */
export function writeBertSafetensors(
  weights: BertWeights,
  options: { prefix?: string; extra?: BertWeights; metadata?: Record<string, string> } = {},
): Uint8Array {
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, tensor] of weights) tensors.set(`${options.prefix ?? ''}${name}`, tensor);
  for (const [name, tensor] of options.extra ?? []) tensors.set(name, tensor);
  return encodeSafetensors(tensors, options.metadata ?? { format: 'pt' });
}

/** Throws naming the first missing, misshapen or unknown tensor; the pooler is optional. */
export function checkBertWeights(config: BertEncoderConfig, weights: BertWeights): void {
  const specs = bertTensorSpecs(exportableShape(config), { pooler: true });
  const known = new Set(specs.map((spec) => spec.name));
  for (const spec of specs) {
    const tensor = weights.get(spec.name);
    if (!tensor) {
      if (spec.name.startsWith('pooler.')) continue;
      throw new BertWeightsError(`Missing weight "${spec.name}"`);
    }
    if (tensor.shape.join(',') !== spec.shape.join(',')) {
      throw new BertWeightsError(
        `Weight "${spec.name}" has shape [${tensor.shape.join(', ')}], config needs [${spec.shape.join(', ')}]`,
      );
    }
  }
  for (const name of weights.keys()) {
    if (!known.has(name)) throw new BertWeightsError(`Unknown encoder weight "${name}"`);
  }
  const hasPoolerWeight = weights.has('pooler.dense.weight');
  if (hasPoolerWeight !== weights.has('pooler.dense.bias')) {
    throw new BertWeightsError('The pooler needs both pooler.dense.weight and pooler.dense.bias');
  }
}

function isEncoderName(name: string): boolean {
  return (
    name.startsWith('embeddings.') || name.startsWith('encoder.') || name.startsWith('pooler.')
  );
}

/** Tensor shapes do not depend on the activation; reuse the exporter's spec list. */
function exportableShape(config: BertEncoderConfig) {
  return exportableBertConfig({ ...config, hiddenAct: 'gelu' });
}
