/**
 * Model folders kept in this browser's store: imported from a folder or a zip, listed, loaded
 * as a `{ kind: 'files' }` source and zipped back out in the Hugging Face layout.
 */

import { throwIfAborted } from '../abort.ts';
import type { ProgressCallback } from '../progress.ts';
import type { LuminaStore, ModelRecord } from '../store/index.ts';
import type { JsonValue } from '../types.ts';
import { checkModelLayout, checkModelPath, ModelArchiveError, modelZip } from './model-archive.ts';

export type ModelStore = Pick<LuminaStore, 'putModel' | 'getModel' | 'listModels'>;

export const IMPORTED_MODEL_SOURCE = 'imported';
const RUNNABLE_ONNX = 'onnx/model.onnx';

export interface StoredModelSummary {
  id: string;
  name: string;
  source: string;
  createdAt: number;
  fileCount: number;
  bytes: number;
}

/**
 * Checks the folder can run (config.json, tokenizer.json, onnx/model.onnx) and keeps it as a
 * model record with `source: 'imported'`; returns the record's id.
 */
export async function importModel(
  store: ModelStore,
  files: ReadonlyMap<string, Uint8Array | Blob>,
  name: string,
  options: { signal?: AbortSignal; now?: number } = {},
): Promise<string> {
  const modelName = name.trim();
  if (!modelName) throw new ModelArchiveError('A model needs a name');
  for (const path of files.keys()) checkModelPath(path);
  const problems = checkModelLayout(files.keys());
  if (problems.length) {
    throw new ModelArchiveError(`${modelName} cannot run in Lumina: ${problems.join('; ')}`);
  }
  const configFile = files.get('config.json');
  const config = await parseConfig(configFile, modelName);
  throwIfAborted(options.signal);
  const stored: Record<string, Blob> = {};
  for (const [path, file] of files) {
    // Copy the view's bytes so a Blob never holds more than the file.
    stored[path] = file instanceof Blob ? file : new Blob([file.slice()]);
  }
  const createdAt = options.now ?? Date.now();
  const id = `model:${modelName}:${createdAt}`;
  await store.putModel({
    id,
    name: modelName,
    source: IMPORTED_MODEL_SOURCE,
    createdAt,
    config,
    files: stored,
  });
  return id;
}

/** The stored model's files by HF path, for a `{ kind: 'files' }` model source. */
export async function storedModelFiles(store: ModelStore, id: string): Promise<Map<string, Blob>> {
  const record = await store.getModel(id);
  if (!record) throw new ModelArchiveError(`No model ${id} is stored in this browser`);
  const files = new Map<string, Blob>();
  for (const [path, file] of Object.entries(record.files ?? {})) {
    files.set(path, file instanceof Blob ? file : new Blob([file]));
  }
  if (!files.size) throw new ModelArchiveError(`The stored model ${record.name} has no files`);
  return files;
}

/** Stored models that can embed (they hold onnx/model.onnx), oldest first. */
export async function listRunnableModels(store: ModelStore): Promise<StoredModelSummary[]> {
  return (await store.listModels())
    .filter((record) => record.files?.[RUNNABLE_ONNX] !== undefined)
    .map(summary);
}

/** A stored text-generation model, and whether Lumina trained it or seeded it. */
export interface StoredGeneratorSummary extends StoredModelSummary {
  /** config.json `lumina_trained`: a decoder trained in the Train view or by `train clm`. */
  trained: boolean;
  /** config.json `lumina_seeded`: random weights, meaningless text. */
  seeded: boolean;
}

/** A causal-LM head in the config's architectures (GPT2LMHeadModel, *ForCausalLM). */
function generates(config: JsonValue | undefined): boolean {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return false;
  const architectures = config['architectures'];
  return (
    Array.isArray(architectures) &&
    architectures.some(
      (name) =>
        typeof name === 'string' && (name.endsWith('ForCausalLM') || name.endsWith('LMHeadModel')),
    )
  );
}

/** Stored models that generate text (a causal-LM head and onnx/model.onnx), oldest first. */
export async function listGeneratorModels(store: ModelStore): Promise<StoredGeneratorSummary[]> {
  return (await store.listModels())
    .filter((record) => record.files?.[RUNNABLE_ONNX] !== undefined && generates(record.config))
    .map((record) => {
      const config = record.config as Record<string, JsonValue>;
      return {
        ...summary(record),
        trained: config['lumina_trained'] === true,
        seeded: config['lumina_seeded'] === true,
      };
    });
}

/** A stored cross-encoder (a sequence-classification head), and whether Lumina seeded it. */
export interface StoredCrossEncoderSummary extends StoredModelSummary {
  /** config.json `lumina_seeded`: random weights, meaningless scores. */
  seeded: boolean;
}

/** A sequence-classification head in the config's architectures (BertForSequenceClassification). */
function classifiesPairs(config: JsonValue | undefined): boolean {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return false;
  const architectures = config['architectures'];
  return (
    Array.isArray(architectures) &&
    architectures.some(
      (name) => typeof name === 'string' && name.endsWith('ForSequenceClassification'),
    )
  );
}

/** Stored models that can re-rank (a sequence-classification head and onnx/model.onnx), oldest first. */
export async function listCrossEncoderModels(
  store: ModelStore,
): Promise<StoredCrossEncoderSummary[]> {
  return (await store.listModels())
    .filter(
      (record) => record.files?.[RUNNABLE_ONNX] !== undefined && classifiesPairs(record.config),
    )
    .map((record) => ({
      ...summary(record),
      seeded: (record.config as Record<string, JsonValue>)['lumina_seeded'] === true,
    }));
}

/** The stored model as a zip in the HF layout, and the file name to save it under. */
export async function storedModelZip(
  store: ModelStore,
  id: string,
  options: { signal?: AbortSignal; onProgress?: ProgressCallback } = {},
): Promise<{ bytes: Uint8Array; fileName: string }> {
  const record = await store.getModel(id);
  if (!record) throw new ModelArchiveError(`No model ${id} is stored in this browser`);
  const bytes = await modelZip(await storedModelFiles(store, id), record.name, options);
  return { bytes, fileName: modelZipFileName(record.name) };
}

export function modelZipFileName(name: string): string {
  return `${name.replace(/[\\/:*?"<>|]+/g, '_') || 'model'}.zip`;
}

function summary(record: ModelRecord): StoredModelSummary {
  const files = Object.values(record.files ?? {});
  return {
    id: record.id,
    name: record.name,
    source: record.source,
    createdAt: record.createdAt,
    fileCount: files.length,
    bytes: files.reduce(
      (sum, file) => sum + (file instanceof Blob ? file.size : file.byteLength),
      0,
    ),
  };
}

async function parseConfig(file: Uint8Array | Blob | undefined, name: string): Promise<JsonValue> {
  if (!file) throw new ModelArchiveError(`${name}: config.json is missing`);
  const text = file instanceof Blob ? await file.text() : new TextDecoder('utf-8').decode(file);
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new ModelArchiveError(
      `${name}: config.json is not valid JSON (${(error as Error).message})`,
    );
  }
}
