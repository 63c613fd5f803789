import { gpt2TensorSpecs, type Gpt2Weights } from '../../model/decoder/gpt2-weights.ts';
import type { Gpt2Config } from '../../model/decoder/gpt2-config.ts';
import type { BertWeights } from '../../model/init.ts';
import { decodeSafetensors, encodeSafetensors, tensorToFloat32 } from '../../model/safetensors.ts';

/** GPT2LMHeadModel keeps the body under `transformer.`; a bare GPT2Model file has no prefix. */
const BODY_PREFIX = 'transformer.';
const BARE_BODY = /^(?:wte|wpe|h\.\d+|ln_f)\./;

export class Gpt2WeightsError extends Error {
  override name = 'Gpt2WeightsError';
}

/** Every tensor the config needs, with its shape; throws naming the first problem. */
export function checkGpt2Weights(config: Gpt2Config, weights: Gpt2Weights): void {
  for (const spec of gpt2TensorSpecs(config)) {
    const tensor = weights.get(spec.name);
    if (!tensor) throw new Gpt2WeightsError(`Missing weight "${spec.name}"`);
    if (tensor.shape.join() !== spec.shape.join()) {
      throw new Gpt2WeightsError(
        `Weight "${spec.name}" has shape [${tensor.shape.join(', ')}], the config needs [${spec.shape.join(', ')}]`,
      );
    }
  }
}

/**
 * Reads a `model.safetensors` of GPT2LMHeadModel (or bare GPT2Model) into the model's tensors
 * under HF GPT2LMHeadModel names and the rest (optimizer moments, best weights in checkpoints).
 * A tied model ignores a stored `lm_head.weight` (HF writes none, some tools write a copy).
 */
export function readGpt2Safetensors(
  config: Gpt2Config,
  bytes: Uint8Array | ArrayBuffer,
): { weights: Gpt2Weights; rest: BertWeights } {
  const { tensors } = decodeSafetensors(bytes);
  const needed = new Set(gpt2TensorSpecs(config).map((spec) => spec.name));
  const weights: Gpt2Weights = new Map();
  const rest: BertWeights = new Map();
  for (const [stored, tensor] of tensors) {
    const float = { dtype: 'F32' as const, shape: tensor.shape, data: tensorToFloat32(tensor) };
    const name = BARE_BODY.test(stored) ? `${BODY_PREFIX}${stored}` : stored;
    if (needed.has(name)) weights.set(name, float);
    else if (name === 'lm_head.weight' && config.tieWordEmbeddings) continue;
    else rest.set(stored, float);
  }
  checkGpt2Weights(config, weights);
  return { weights, rest };
}

/** `model.safetensors` bytes with HF GPT2LMHeadModel names, in the writer's tensor order. */
export function writeGpt2Safetensors(
  config: Gpt2Config,
  weights: Gpt2Weights,
  metadata: Record<string, string> = {},
): Uint8Array {
  checkGpt2Weights(config, weights);
  const ordered: Gpt2Weights = new Map();
  for (const spec of gpt2TensorSpecs(config)) {
    const tensor = weights.get(spec.name);
    if (tensor) ordered.set(spec.name, tensor);
  }
  return encodeSafetensors(ordered, { format: 'pt', producer: 'lumina', ...metadata });
}
