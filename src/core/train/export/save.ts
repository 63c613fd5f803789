import { modelZip } from '../../model/model-archive.ts';
import { importModel, modelZipFileName, type ModelStore } from '../../model/stored-models.ts';
import type { ProgressCallback } from '../../progress.ts';

/**
 * Keeps an exported folder in this browser's model store, where the Embedding panel's
 * "Models in this browser" lists it; returns the record id. The same checks as an imported
 * folder apply (config.json, tokenizer.json, onnx/model.onnx, safe paths).
 */
export function saveExportedModel(
  store: ModelStore,
  files: ReadonlyMap<string, Uint8Array>,
  name: string,
  options: { signal?: AbortSignal; now?: number } = {},
): Promise<string> {
  return importModel(store, files, name, options);
}

/** The exported folder as a zip (HF paths at its root) and the file name to save it under. */
export async function exportedModelZip(
  files: ReadonlyMap<string, Uint8Array>,
  name: string,
  options: { modified?: Date; signal?: AbortSignal; onProgress?: ProgressCallback } = {},
): Promise<{ bytes: Uint8Array; fileName: string }> {
  return { bytes: await modelZip(files, name, options), fileName: modelZipFileName(name) };
}
