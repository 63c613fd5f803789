import * as tf from '@tensorflow/tfjs';
import type { BertWeights } from '../../model/init.ts';
import { decodeSafetensors, encodeSafetensors, tensorToFloat32 } from '../../model/safetensors.ts';
import type { TrainConfig } from '../config/types.ts';
import { modelSectionToHfConfig } from '../config/hf-config.ts';
import { parseBertEncoderConfig, type BertEncoderConfig } from '../bert/config.ts';
import { createBertEncoder, type BertEncoder } from '../bert/encoder.ts';
import { readBertSafetensors, writeBertSafetensors } from '../bert/weights-io.ts';
import {
  createMlmHead,
  initMlmHeadWeights,
  pickMlmHeadWeights,
  type MlmHead,
} from '../mlm/head.ts';
import type { MlmTokenizer } from '../data/tokenizer.ts';

/** The encoder's tensors sit under `bert.` in checkpoints, as in HF's BertForMaskedLM. */
export const ENCODER_PREFIX = 'bert.';
/** Early stopping's best weights (encoder and head) travel in the checkpoint under this prefix. */
export const BEST_PREFIX = 'best.';

export interface MlmModel {
  config: BertEncoderConfig;
  /** HF `config.json` of the encoder (BertModel / BertForMaskedLM). */
  hfConfig: Record<string, string | number | string[]>;
  encoder: BertEncoder;
  head: MlmHead;
  /** Everything the optimizer updates, by HF name: the encoder (pooler aside) and the head. */
  params: Map<string, tf.Variable>;
  dispose(): void;
}

/** The encoder config a training config gives with this tokenizer. */
export function mlmModelConfig(
  config: TrainConfig,
  tokenizer: Pick<MlmTokenizer, 'vocabSize' | 'padId'>,
): { encoder: BertEncoderConfig; hf: Record<string, string | number | string[]> } {
  const hf = modelSectionToHfConfig(config.model, {
    vocabSize: tokenizer.vocabSize,
    padTokenId: tokenizer.padId,
  });
  return { encoder: parseBertEncoderConfig(hf), hf };
}

/**
 * The encoder and MLM head as TF.js variables: from a checkpoint or a saved model
 * (`model.safetensors` as BertModel or BertForMaskedLM; a missing head is initialised fresh), or
 * initialised as HF does from `seed`.
 */
export async function buildMlmModel(
  config: TrainConfig,
  tokenizer: Pick<MlmTokenizer, 'vocabSize' | 'padId'>,
  weights: Uint8Array | undefined,
  seed: number,
): Promise<{ model: MlmModel; rest: BertWeights }> {
  const { encoder: encoderConfig, hf } = mlmModelConfig(config, tokenizer);
  let encoder: BertEncoder;
  let headWeights: BertWeights;
  let rest: BertWeights = new Map();
  if (weights) {
    const split = readBertSafetensors(encoderConfig, weights);
    rest = split.rest;
    encoder = await createBertEncoder(encoderConfig, split.encoder);
    const hasHead = [...rest.keys()].some((name) => name.startsWith('cls.predictions.'));
    headWeights = hasHead
      ? pickMlmHeadWeights(encoderConfig, rest)
      : initMlmHeadWeights(encoderConfig, seed);
  } else {
    encoder = await createBertEncoder(encoderConfig, undefined, { seed });
    headWeights = initMlmHeadWeights(encoderConfig, seed);
  }
  const head = createMlmHead(encoder, headWeights);
  const params = new Map<string, tf.Variable>();
  for (const [name, variable] of encoder.variables)
    if (variable.trainable) params.set(name, variable);
  for (const [name, variable] of head.variables) params.set(name, variable);
  return {
    model: {
      config: encoderConfig,
      hfConfig: hf,
      encoder,
      head,
      params,
      dispose() {
        head.dispose();
        encoder.dispose();
      },
    },
    rest,
  };
}

/** Encoder (under `bert.`) and head weights: a BertForMaskedLM state dict. */
export async function readMlmWeights(model: MlmModel): Promise<BertWeights> {
  const out: BertWeights = new Map();
  for (const [name, tensor] of await model.encoder.readWeights())
    out.set(`${ENCODER_PREFIX}${name}`, tensor);
  for (const [name, tensor] of await model.head.readWeights()) out.set(name, tensor);
  return out;
}

/** Puts weights from {@link readMlmWeights} back into the variables. */
export function assignMlmWeights(model: MlmModel, weights: BertWeights): void {
  const encoder: BertWeights = new Map();
  for (const [name, tensor] of weights) {
    if (name.startsWith(ENCODER_PREFIX)) encoder.set(name.slice(ENCODER_PREFIX.length), tensor);
  }
  model.encoder.assignWeights(encoder);
  for (const [name, variable] of model.head.variables) {
    const tensor = weights.get(name);
    if (!tensor) throw new RangeError(`Missing MLM head weight "${name}"`);
    tf.tidy(() => variable.assign(tf.tensor(tensor.data, tensor.shape, 'float32')));
  }
}

/** Tensors stored under `prefix`, with the prefix removed. */
export function tensorsUnder(weights: BertWeights, prefix: string): BertWeights {
  const out: BertWeights = new Map();
  for (const [name, tensor] of weights)
    if (name.startsWith(prefix)) out.set(name.slice(prefix.length), tensor);
  return out;
}

/** One checkpoint blob: model, optimizer moments and (optionally) early stopping's best weights. */
export function encodeCheckpointTensors(
  model: BertWeights,
  optimizer: BertWeights,
  best: BertWeights | null,
): Uint8Array {
  const all: BertWeights = new Map(model);
  for (const [name, tensor] of optimizer) all.set(name, tensor);
  for (const [name, tensor] of best ?? []) all.set(`${BEST_PREFIX}${name}`, tensor);
  return encodeSafetensors(all, { format: 'pt', producer: 'lumina-mlm-checkpoint' });
}

/**
 * A weights-only encoder (`model.safetensors` with BertModel names, no head, no optimizer) from
 * a checkpoint blob or a BertForMaskedLM file: what inference and the exporter need.
 */
export function extractEncoderSafetensors(tensors: Uint8Array): Uint8Array {
  const { tensors: all } = decodeSafetensors(tensors);
  const encoder: BertWeights = new Map();
  for (const [name, tensor] of all) {
    if (!name.startsWith(ENCODER_PREFIX)) continue;
    encoder.set(name.slice(ENCODER_PREFIX.length), {
      dtype: 'F32',
      shape: tensor.shape,
      data: tensorToFloat32(tensor),
    });
  }
  if (encoder.size === 0) throw new RangeError('No encoder (bert.*) tensors in these weights');
  return writeBertSafetensors(encoder);
}
