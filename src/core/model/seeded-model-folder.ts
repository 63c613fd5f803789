import type { JsonValue } from '../types.ts';
import { bertConfigToJson, parseBertConfig, type BertConfig } from './bert-config.ts';
import {
  addSeededBertFiles,
  jsonBytes,
  parameterCount,
  startSeededBert,
  TOKENIZER_FILES,
  type SeededBertSource,
} from './seeded-bert-files.ts';
import { sentenceTransformersFiles } from './sentence-transformers.ts';

export { TOKENIZER_FILES };

export interface SeededModelFolderInput extends SeededBertSource {
  /** The parsed HF `config.json`; unknown fields are kept in the written config. */
  configJson: unknown;
  pooler?: boolean;
  maxSeqLength?: number;
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
  const { progress, weights } = await startSeededBert(
    input,
    config,
    'Building model folder',
    input.pooler ?? true,
  );
  const parameters = parameterCount(weights);

  const files = new Map<string, Uint8Array>();
  files.set('config.json', jsonBytes(configFile(input.configJson, config)));
  addSeededBertFiles(files, input, progress, {
    config,
    weights,
    stateDict: weights,
    description: `Seeded random BERT weights (seed ${input.seed}) written by Lumina`,
  });
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
