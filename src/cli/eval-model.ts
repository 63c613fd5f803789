import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { throwIfAborted } from '../core/abort.ts';
import { bucketsUpTo, planBatches } from '../core/embed/batching/index.ts';
import { EmbeddingModel, type TextKind } from '../core/embed/runtime/index.ts';
import { UsageError } from './cli-types.ts';

/** Loads a local Hugging Face layout folder (fp32 `onnx/model.onnx`) to run on the CPU. */
export async function loadLocalModel(dir: string, signal?: AbortSignal): Promise<EmbeddingModel> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`model ${dir}: not a folder`);
  const files = new Map<string, Uint8Array>();
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      const name = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(name);
      // Only the fp32 graph runs here; other weights would be read for nothing.
      else if (entry.isFile() && !name.endsWith('.safetensors') && !isOtherOnnx(name)) {
        files.set(name, new Uint8Array(await readFile(path.join(dir, name))));
      }
    }
  };
  await walk('');
  return EmbeddingModel.load(
    { kind: 'files', files, name: path.basename(path.resolve(dir)) },
    { device: 'wasm', dtype: 'fp32' },
    { signal },
  );
}

function isOtherOnnx(name: string): boolean {
  return name.endsWith('.onnx') && name !== 'onnx/model.onnx';
}

/**
 * Embeds texts in token-budgeted batches of similar length (less padding) and returns the
 * vectors in input order, [texts.length × dims] row-major.
 */
export async function embedAll(
  model: EmbeddingModel,
  texts: readonly string[],
  kind: TextKind,
  batchTokens: number,
  onProgress: (done: number, total: number) => void,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const { dims, maxTokens } = model.info;
  const out = new Float32Array(texts.length * dims);
  if (texts.length === 0) return out;
  const lengths = model.countTokens(texts, kind);
  const batches = planBatches(
    texts.map((_, i) => ({ id: String(i), tokens: lengths[i] as number })),
    { tokenBudget: batchTokens, buckets: bucketsUpTo(maxTokens) },
  );
  let done = 0;
  onProgress(0, texts.length);
  for (const batch of batches) {
    throwIfAborted(signal);
    const rows = [...batch.indices];
    const vectors = await model.embed(
      rows.map((row) => texts[row] as string),
      kind,
      signal,
    );
    rows.forEach((row, i) => out.set(vectors.subarray(i * dims, (i + 1) * dims), row * dims));
    done += rows.length;
    onProgress(done, texts.length);
  }
  return out;
}
