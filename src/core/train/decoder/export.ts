import { decoderFolderFiles } from '../../model/decoder/decoder-folder.ts';
import type { Gpt2Weights } from '../../model/decoder/gpt2-weights.ts';
import type { ProgressCallback } from '../../progress.ts';
import type { TrainedTokenizerJson } from '../../tokenizer/train/types.ts';
import type { JsonValue } from '../../types.ts';
import { dropoutJson, type DecoderConfig } from './config.ts';

/** What a trained decoder's config.json records about its training (all optional). */
export interface DecoderTrainingInfo {
  steps?: number;
  epochs?: number;
  trainLoss?: number;
  validationLoss?: number;
  validationPerplexity?: number;
  /** Where the text came from, in words (file names, dataset name). */
  data?: string;
}

export interface TrainedDecoderFolderInput {
  config: DecoderConfig;
  weights: Gpt2Weights;
  /** The byte-level BPE the decoder was trained with, holding DECODER_SPECIAL_TOKENS. */
  tokenizer: TrainedTokenizerJson;
  training?: DecoderTrainingInfo;
  /** Shown as the model's name in apps (config.json `lumina_name`). */
  name?: string;
  producerVersion?: string;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

function trainingJson(info: DecoderTrainingInfo): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(info)) {
    if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) {
      out[key] = value;
    }
  }
  return out;
}

/**
 * A Lumina-trained GPT-2 as an HF text-generation folder (the decoder writer's layout):
 * config.json marked `lumina_trained: true` (not seeded: its text is the model's own),
 * generation_config.json, tokenizer files with the chat template, model.safetensors and
 * onnx/model.onnx with the KV cache, which transformers.js loads.
 */
export function trainedDecoderFolder(
  input: TrainedDecoderFolderInput,
): Promise<Map<string, Uint8Array>> {
  const info = trainingJson(input.training ?? {});
  return decoderFolderFiles({
    config: input.config,
    weights: input.weights,
    tokenizer: input.tokenizer,
    configExtra: {
      ...dropoutJson(input.config),
      lumina_trained: true,
      ...(input.name ? { lumina_name: input.name } : {}),
      lumina_training: info,
    },
    description: `GPT-2 decoder trained by Lumina (causal LM)${input.name ? `: ${input.name}` : ''}`,
    metadata: { lumina_trained: 'true' },
    ...(input.producerVersion ? { producerVersion: input.producerVersion } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  });
}
