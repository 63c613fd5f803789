import type { JsonValue } from '../types.ts';
import { bertConfigToJson, parseBertConfig, type BertConfig } from './bert-config.ts';
import type { BertWeights } from './init.ts';
import {
  addSeededBertFiles,
  jsonBytes,
  parameterCount,
  startSeededBert,
} from './seeded-bert-files.ts';
import type { SeededModelFolderInput } from './seeded-model-folder.ts';
import { SeededRandom } from './seeded-random.ts';

export interface SeededCrossEncoderInput extends Omit<
  SeededModelFolderInput,
  'pooler' | 'maxSeqLength'
> {
  /** Outputs of the classifier; cross-encoder rerankers have 1 (a relevance logit). Default 1. */
  numLabels?: number;
}

export interface CrossEncoderFolder {
  config: BertConfig;
  numLabels: number;
  /** Encoder, pooler and classifier tensors by their unprefixed names (`pooler.dense.weight`). */
  weights: BertWeights;
  parameters: number;
  /** Relative path → bytes, in the Hugging Face layout. */
  files: Map<string, Uint8Array>;
}

/**
 * A complete HF-layout BertForSequenceClassification folder with seeded random weights, shaped
 * like an ms-marco cross-encoder: config.json (`architectures: BertForSequenceClassification`,
 * `lumina_seeded: true`), tokenizer files, model.safetensors with HF's state-dict names
 * (`bert.…`, `classifier.…`) and onnx/model.onnx with the `logits` output transformers.js reads.
 * Its scores are meaningless; it exists to prove the re-ranking plumbing.
 */
export async function buildSeededCrossEncoderFolder(
  input: SeededCrossEncoderInput,
): Promise<CrossEncoderFolder> {
  const config = parseBertConfig(input.configJson);
  const numLabels = input.numLabels ?? 1;
  if (!Number.isInteger(numLabels) || numLabels < 1) {
    throw new RangeError(`numLabels must be a whole number ≥ 1, got ${numLabels}`);
  }
  const { progress, weights } = await startSeededBert(
    input,
    config,
    'Building cross-encoder folder',
    true,
  );
  // HF's _init_weights: normal(0, initializer_range) for the linear weight, zero bias.
  const head = new Float32Array(numLabels * config.hiddenSize);
  const random = new SeededRandom(input.seed, 'classifier.weight');
  for (let i = 0; i < head.length; i++) head[i] = random.nextNormal() * config.initializerRange;
  weights.set('classifier.weight', {
    dtype: 'F32',
    shape: [numLabels, config.hiddenSize],
    data: head,
  });
  weights.set('classifier.bias', {
    dtype: 'F32',
    shape: [numLabels],
    data: new Float32Array(numLabels),
  });
  const parameters = parameterCount(weights);
  const description = `Seeded random BERT cross-encoder weights (seed ${input.seed}) written by Lumina; its scores are meaningless`;

  const files = new Map<string, Uint8Array>();
  const labels = Array.from({ length: numLabels }, (_, i) => [String(i), `LABEL_${i}`]);
  files.set(
    'config.json',
    jsonBytes({
      ...bertConfigToJson(config),
      architectures: ['BertForSequenceClassification'],
      id2label: Object.fromEntries(labels),
      label2id: Object.fromEntries(labels.map(([id, label]) => [label, Number(id)])),
      lumina_seeded: true,
      lumina_seed: input.seed,
    } as JsonValue),
  );
  // BertForSequenceClassification keeps the encoder under `bert.`; the head is at the top level.
  const stateDict: BertWeights = new Map(
    [...weights].map(([name, tensor]) => [
      name.startsWith('classifier.') ? name : `bert.${name}`,
      tensor,
    ]),
  );
  addSeededBertFiles(files, input, progress, {
    config,
    weights,
    stateDict,
    description,
    onnx: { classifier: { numLabels } },
  });
  progress.finish('Cross-encoder folder ready');
  return { config, numLabels, weights, parameters, files };
}
