import { stat } from 'node:fs/promises';
import path from 'node:path';
import { TransformersTextGenerator } from '../core/model/decoder/transformers-generator.ts';
import { CrossEncoderReranker } from '../core/rag/cross-encoder.ts';
import { UsageError, type CliIo } from './cli-types.ts';
import {
  fetchHubModel,
  OPTIONAL_HUB_FILES,
  REQUIRED_HUB_FILES,
  type HubDownloadOptions,
} from './hub-download.ts';
import { defaultCacheDir, defaultHubUrl, DEFAULT_REVISION, isHubId } from './hub-model-ref.ts';
import { hubProgressPrinter } from './hub-progress.ts';
import { readModelFolder } from './read-model-folder.ts';

/**
 * A model folder named on the command line: a local folder as is, a Hub id downloaded into the
 * CLI's cache first (the same download code as `--model`), so both load from disk.
 */
export async function resolveModelDir(
  option: string,
  spec: string,
  io: CliIo,
  signal: AbortSignal | undefined,
  files?: HubDownloadOptions['files'],
): Promise<string> {
  if ((await stat(spec).catch(() => undefined))?.isDirectory()) return spec;
  if (!isHubId(spec)) {
    throw new UsageError(
      `${option} ${spec}: neither a local model folder nor a Hugging Face Hub id`,
    );
  }
  const ref = { id: spec, revision: DEFAULT_REVISION };
  const token = process.env.HF_TOKEN;
  const folder = await fetchHubModel(ref, {
    hubUrl: defaultHubUrl().replace(/\/+$/, ''),
    cacheDir: defaultCacheDir(),
    ...(token ? { token } : {}),
    ...(signal ? { signal } : {}),
    ...(files ? { files } : {}),
    folderOption: option,
    onProgress: hubProgressPrinter(io, ref.id),
  });
  return folder.dir;
}

/**
 * A Hub text-generation model also brings its generation defaults and, for models over 2 GB,
 * the ONNX weights stored beside the graph (`model.onnx_data`).
 */
export const GENERATOR_HUB_FILES: NonNullable<HubDownloadOptions['files']> = {
  required: REQUIRED_HUB_FILES,
  optional: [...OPTIONAL_HUB_FILES, 'generation_config.json', 'onnx/model.onnx_data'],
};

export async function openGenerator(
  spec: string,
  io: CliIo,
  signal: AbortSignal | undefined,
): Promise<TransformersTextGenerator> {
  const dir = await resolveModelDir('--generator', spec, io, signal, GENERATOR_HUB_FILES);
  return TransformersTextGenerator.load(
    { kind: 'files', files: await readModelFolder(dir), name: path.basename(path.resolve(dir)) },
    { device: 'wasm', dtype: 'fp32', ...(signal ? { signal } : {}) },
  );
}

export async function openReranker(
  spec: string,
  io: CliIo,
  signal: AbortSignal | undefined,
): Promise<CrossEncoderReranker> {
  const dir = await resolveModelDir('--reranker', spec, io, signal);
  return CrossEncoderReranker.load(
    { kind: 'files', files: await readModelFolder(dir), name: path.basename(path.resolve(dir)) },
    { device: 'wasm', ...(signal ? { signal } : {}) },
  );
}
