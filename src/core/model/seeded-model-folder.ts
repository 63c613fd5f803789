import { throwIfAborted } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { JsonValue } from '../types.ts';
import { bertConfigToJson, parseBertConfig, type BertConfig } from './bert-config.ts';
import { initBertWeights } from './init.ts';
import { exportBertOnnx } from './onnx/bert-onnx.ts';
import { encodeSafetensors } from './safetensors.ts';
import { sentenceTransformersFiles } from './sentence-transformers.ts';

/** Tokenizer files a model folder carries when the source has them. */
export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
] as const;

export interface SeededModelFolderInput {
  /** The parsed HF `config.json`; unknown fields are kept in the written config. */
  configJson: unknown;
  seed: number;
  /** Tokenizer files by name (see {@link TOKENIZER_FILES}), copied byte for byte. */
  tokenizerFiles: ReadonlyMap<string, Uint8Array>;
  pooler?: boolean;
  maxSeqLength?: number;
  producerVersion?: string;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface ModelFolder {
  config: BertConfig;
  parameters: number;
  /** Relative path → bytes, in the Hugging Face layout. */
  files: Map<string, Uint8Array>;
}

/** Fields of the source config that would describe the wrong model once weights are random. */
const DROPPED_CONFIG_FIELDS = ['_name_or_path', 'transformers_version'];

/**
 * A complete HF-layout folder for a BERT with seeded random weights: config.json, tokenizer
 * files, model.safetensors, onnx/model.onnx and the sentence-transformers files.
 */
export async function buildSeededModelFolder(input: SeededModelFolderInput): Promise<ModelFolder> {
  const config = parseBertConfig(input.configJson);
  if (!input.tokenizerFiles.has('tokenizer.json')) {
    throw new Error('The tokenizer files must include tokenizer.json');
  }
  const progress = new ProgressReporter(input.onProgress);
  progress.start('Building model folder');
  const initPhase = progress.sub(0, 0.8);
  const weights = await initBertWeights(config, {
    seed: input.seed,
    pooler: input.pooler ?? true,
    ...(input.signal ? { signal: input.signal } : {}),
    onProgress: (event) => initPhase(event.fraction, 1, event.message),
  });
  const parameters = [...weights.values()].reduce((sum, tensor) => sum + tensor.data.length, 0);
  const description = `Seeded random BERT weights (seed ${input.seed}) written by Lumina`;

  const files = new Map<string, Uint8Array>();
  files.set('config.json', jsonBytes(configFile(input.configJson, config)));
  for (const name of TOKENIZER_FILES) {
    const bytes = input.tokenizerFiles.get(name);
    if (bytes) files.set(name, bytes);
  }
  throwIfAborted(input.signal);
  files.set(
    'model.safetensors',
    encodeSafetensors(weights, { format: 'pt', producer: 'lumina', seed: String(input.seed) }),
  );
  progress.update(0.9, 1, 'model.safetensors');
  throwIfAborted(input.signal);
  files.set(
    'onnx/model.onnx',
    exportBertOnnx(config, weights, {
      producerVersion: input.producerVersion ?? '0',
      docString: description,
      metadata: { seed: String(input.seed) },
    }),
  );
  for (const [path, json] of sentenceTransformersFiles(config, {
    ...(input.maxSeqLength ? { maxSeqLength: input.maxSeqLength } : {}),
  })) {
    files.set(path, jsonBytes(json));
  }
  progress.finish('Model folder ready');
  return { config, parameters, files };
}

function configFile(source: unknown, config: BertConfig): JsonValue {
  const kept = Object.entries(source as Record<string, JsonValue>).filter(
    ([key]) => !DROPPED_CONFIG_FIELDS.includes(key),
  );
  return { ...Object.fromEntries(kept), ...bertConfigToJson(config) };
}

function jsonBytes(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}
