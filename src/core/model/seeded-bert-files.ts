import { throwIfAborted } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { JsonValue } from '../types.ts';
import type { BertConfig } from './bert-config.ts';
import { initBertWeights, type BertWeights } from './init.ts';
import { exportBertOnnx, type BertOnnxOptions } from './onnx/bert-onnx.ts';
import { encodeSafetensors } from './safetensors.ts';

/** Tokenizer files a model folder carries when the source has them. */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
] as const;

/** What every seeded BERT folder (encoder or cross-encoder) is built from. */
export interface SeededBertSource {
  seed: number;
  /** Tokenizer files by name (see {@link TOKENIZER_FILES}), copied byte for byte. */
  tokenizerFiles: ReadonlyMap<string, Uint8Array>;
  producerVersion?: string;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface SeededBertStart {
  progress: ProgressReporter;
  weights: BertWeights;
}

/**
 * Checks the tokenizer files, starts the build's progress under `title` and draws the seeded
 * weights as its first 80 %.
 */
export async function startSeededBert(
  source: SeededBertSource,
  config: BertConfig,
  title: string,
  pooler: boolean,
): Promise<SeededBertStart> {
  if (!source.tokenizerFiles.has('tokenizer.json')) {
    throw new Error('The tokenizer files must include tokenizer.json');
  }
  const progress = new ProgressReporter(source.onProgress);
  progress.start(title);
  const initPhase = progress.sub(0, 0.8);
  const weights = await initBertWeights(config, {
    seed: source.seed,
    pooler,
    ...(source.signal ? { signal: source.signal } : {}),
    onProgress: (event) => initPhase(event.fraction, 1, event.message),
  });
  return { progress, weights };
}

export interface SeededBertWeightFiles {
  config: BertConfig;
  /** Tensors by the names the ONNX export reads (unprefixed). */
  weights: BertWeights;
  /** Tensors by the names model.safetensors stores (the HF state dict of the architecture). */
  stateDict: BertWeights;
  /** Describes the weights in the ONNX file. */
  description: string;
  /** Export options beyond producer, description and seed (e.g. the classifier head). */
  onnx?: Omit<BertOnnxOptions, 'producerVersion' | 'docString' | 'metadata'>;
}

/** Adds the tokenizer files, model.safetensors and onnx/model.onnx to `files`, in that order. */
export function addSeededBertFiles(
  files: Map<string, Uint8Array>,
  source: SeededBertSource,
  progress: ProgressReporter,
  model: SeededBertWeightFiles,
): void {
  for (const name of TOKENIZER_FILES) {
    const bytes = source.tokenizerFiles.get(name);
    if (bytes) files.set(name, bytes);
  }
  throwIfAborted(source.signal);
  files.set(
    'model.safetensors',
    encodeSafetensors(model.stateDict, {
      format: 'pt',
      producer: 'lumina',
      seed: String(source.seed),
    }),
  );
  progress.update(0.9, 1, 'model.safetensors');
  throwIfAborted(source.signal);
  files.set(
    'onnx/model.onnx',
    exportBertOnnx(model.config, model.weights, {
      producerVersion: source.producerVersion ?? '0',
      docString: model.description,
      metadata: { seed: String(source.seed) },
      ...model.onnx,
    }),
  );
}

/** Total number of weight values. */
export function parameterCount(weights: BertWeights): number {
  return [...weights.values()].reduce((sum, tensor) => sum + tensor.data.length, 0);
}

/** Pretty JSON with a final newline, as HF writes its config files. */
export function jsonBytes(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}
