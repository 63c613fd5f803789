import { throwIfAborted, yieldToEventLoop } from '../../abort.ts';
import { bertConfigToJson, type BertConfig } from '../../model/bert-config.ts';
import type { BertWeights } from '../../model/init.ts';
import { exportBertOnnx } from '../../model/onnx/bert-onnx.ts';
import { sentenceTransformersFiles } from '../../model/sentence-transformers.ts';
import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import type { JsonValue } from '../../types.ts';
import {
  exportableBertConfig,
  parseBertEncoderConfig,
  type BertEncoderConfig,
} from '../bert/config.ts';
import { checkBertWeights, writeBertSafetensors } from '../bert/weights-io.ts';
import { pickMlmHeadWeights } from '../mlm/head.ts';
import { modelCard, type TrainingSummary } from './model-card.ts';
import { tokenizerFilesFor, TrainedExportError } from './tokenizer-files.ts';

export type ExportPooling = 'mean' | 'cls';

export interface TrainedModelExportInput {
  /** The encoder's config, or the HF `config.json` it was built from (extra fields are kept). */
  config: BertEncoderConfig | Readonly<Record<string, unknown>>;
  /** Encoder weights under `BertModel` names (`BertEncoder.readWeights()`); the pooler is optional. */
  encoderWeights: BertWeights;
  /** tokenizer.json (required), tokenizer_config.json, special_tokens_map.json, vocab.txt. */
  tokenizerFiles: ReadonlyMap<string, Uint8Array>;
  pooling: ExportPooling;
  normalize: boolean;
  /** The folder's model name: README title, ONNX doc string. */
  name: string;
  /** sentence-transformers `max_seq_length`; at most `max_position_embeddings`. */
  maxSeqLength: number;
  /** `cls.predictions.*` (MlmHead.readWeights()); when given, `mlm/` holds a BertForMaskedLM. */
  mlmHeadWeights?: BertWeights;
  /** Measured values for the model card; only what is given is written. */
  training?: TrainingSummary;
  /** Lumina's version, recorded as the ONNX producer version. */
  producerVersion?: string;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** HF config fields that would describe another model (or another library run) once exported. */
const DROPPED_CONFIG_FIELDS = ['_name_or_path', 'transformers_version', 'architectures'];
const MLM_FOLDER = 'mlm';

/**
 * A trained encoder as a Hugging Face model folder, path → bytes:
 * - `config.json` (`BertModel`), `model.safetensors` (encoder only), tokenizer files,
 *   `onnx/model.onnx` (`last_hidden_state`, what transformers.js feature-extraction runs),
 *   `modules.json`, `1_Pooling/config.json`, `sentence_bert_config.json`,
 *   `config_sentence_transformers.json` and a `README.md` model card;
 * - with `mlmHeadWeights`, also `mlm/`: a complete `BertForMaskedLM` folder (config, weights with
 *   the encoder under `bert.` and the head under `cls.predictions.*`, tokenizer files). The
 *   embedding model at the top stays encoder-only, as sentence-transformers and transformers.js
 *   expect; training continues from `mlm/` (`readBertSafetensors` + `pickMlmHeadWeights`).
 */
export async function exportTrainedModel(
  input: TrainedModelExportInput,
): Promise<Map<string, Uint8Array>> {
  const { encoderConfig, sourceJson } = resolveConfig(input.config);
  const config = exportableBertConfig(encoderConfig);
  const name = input.name.trim();
  if (!name) throw new TrainedExportError('An exported model needs a name');
  if (!Number.isInteger(input.maxSeqLength) || input.maxSeqLength <= 0) {
    throw new TrainedExportError(
      `maxSeqLength must be a positive integer, got ${input.maxSeqLength}`,
    );
  }
  if (input.maxSeqLength > config.maxPositionEmbeddings) {
    throw new TrainedExportError(
      `maxSeqLength ${input.maxSeqLength} exceeds max_position_embeddings ${config.maxPositionEmbeddings}`,
    );
  }
  checkBertWeights(encoderConfig, input.encoderWeights);
  const head = input.mlmHeadWeights
    ? pickMlmHeadWeights(encoderConfig, input.mlmHeadWeights)
    : undefined;
  const tokenizer = tokenizerFilesFor(input.tokenizerFiles, config.vocabSize);

  const progress = new ProgressReporter(input.onProgress);
  progress.start(`Exporting ${name}`);
  const steps = head ? 4 : 3;
  const step = async (done: number, message: string): Promise<void> => {
    progress.update(done, steps, message);
    // Each phase copies every weight once; let an abort or a message in between phases.
    await yieldToEventLoop();
    throwIfAborted(input.signal);
  };
  throwIfAborted(input.signal);

  const files = new Map<string, Uint8Array>();
  const configJson = exportedConfigJson(sourceJson, encoderConfig, config, 'BertModel');
  files.set('config.json', jsonBytes(configJson));
  for (const [path, bytes] of tokenizer) files.set(path, bytes);
  const encoderWeights = new Map(input.encoderWeights);
  files.set(
    'model.safetensors',
    writeBertSafetensors(encoderWeights, { metadata: { format: 'pt', producer: 'lumina' } }),
  );
  await step(1, 'model.safetensors');

  const parameters = [...encoderWeights]
    .filter(([tensorName]) => !tensorName.startsWith('pooler.'))
    .reduce((sum, [, tensor]) => sum + tensor.data.length, 0);
  files.set(
    'onnx/model.onnx',
    exportBertOnnx(config, encoderWeights, {
      producerVersion: input.producerVersion ?? '0',
      docString: `${name}: BERT encoder trained in Lumina`,
      metadata: { name, pooling: input.pooling, normalize: String(input.normalize) },
    }),
  );
  await step(2, 'onnx/model.onnx');

  for (const [path, json] of poolingFiles(config, input)) files.set(path, jsonBytes(json));
  files.set(
    'README.md',
    new TextEncoder().encode(
      modelCard({
        name,
        config,
        parameters,
        pooling: input.pooling,
        normalize: input.normalize,
        maxSeqLength: input.maxSeqLength,
        hasMlmHead: head !== undefined,
        ...(input.training ? { training: input.training } : {}),
      }),
    ),
  );
  await step(3, 'sentence-transformers files');

  if (head) {
    const mlmConfig = exportedConfigJson(sourceJson, encoderConfig, config, 'BertForMaskedLM');
    files.set(`${MLM_FOLDER}/config.json`, jsonBytes(mlmConfig));
    for (const [path, bytes] of tokenizer) files.set(`${MLM_FOLDER}/${path}`, bytes);
    // BertForMaskedLM has no pooler; its decoder weight is tied to the word embeddings, so HF
    // leaves it (and the decoder bias, tied to cls.predictions.bias) out of the file as well.
    const encoderOnly = new Map(
      [...encoderWeights].filter(([tensorName]) => !tensorName.startsWith('pooler.')),
    );
    files.set(
      `${MLM_FOLDER}/model.safetensors`,
      writeBertSafetensors(encoderOnly, {
        prefix: 'bert.',
        extra: head,
        metadata: { format: 'pt', producer: 'lumina' },
      }),
    );
    await step(4, `${MLM_FOLDER}/model.safetensors`);
  }
  progress.finish(`${name}: ${files.size} files`);
  return files;
}

function resolveConfig(config: TrainedModelExportInput['config']): {
  encoderConfig: BertEncoderConfig;
  sourceJson: Readonly<Record<string, unknown>> | undefined;
} {
  if (isEncoderConfig(config)) return { encoderConfig: config, sourceJson: undefined };
  return { encoderConfig: parseBertEncoderConfig(config), sourceJson: config };
}

function isEncoderConfig(config: TrainedModelExportInput['config']): config is BertEncoderConfig {
  return typeof config.hiddenSize === 'number' && typeof config.hiddenDropoutProb === 'number';
}

function exportedConfigJson(
  source: Readonly<Record<string, unknown>> | undefined,
  encoderConfig: BertEncoderConfig,
  config: BertConfig,
  architecture: 'BertModel' | 'BertForMaskedLM',
): JsonValue {
  const kept = Object.entries(source ?? {}).filter(
    ([key, value]) => !DROPPED_CONFIG_FIELDS.includes(key) && isJson(value),
  ) as [string, JsonValue][];
  return {
    ...Object.fromEntries(kept),
    ...bertConfigToJson(config),
    architectures: [architecture],
    hidden_dropout_prob: encoderConfig.hiddenDropoutProb,
    attention_probs_dropout_prob: encoderConfig.attentionProbsDropoutProb,
    torch_dtype: 'float32',
  };
}

/** The shared writer's mean → Normalize pipeline, switched to the pooling and norm asked for. */
function poolingFiles(
  config: BertConfig,
  input: Pick<TrainedModelExportInput, 'pooling' | 'normalize' | 'maxSeqLength'>,
): Map<string, JsonValue> {
  const files = sentenceTransformersFiles(config, { maxSeqLength: input.maxSeqLength });
  const pooling = files.get('1_Pooling/config.json');
  const modules = files.get('modules.json');
  if (!isJsonObject(pooling) || !Array.isArray(modules)) {
    throw new TrainedExportError('sentenceTransformersFiles wrote no pooling config or modules');
  }
  files.set('1_Pooling/config.json', {
    ...pooling,
    pooling_mode_mean_tokens: input.pooling === 'mean',
    pooling_mode_cls_token: input.pooling === 'cls',
  });
  if (!input.normalize) {
    files.set(
      'modules.json',
      modules.filter(
        (module) =>
          !isJsonObject(module) || module.type !== 'sentence_transformers.models.Normalize',
      ),
    );
  }
  return files;
}

function isJsonObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJson(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'bigint';
}

function jsonBytes(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}
