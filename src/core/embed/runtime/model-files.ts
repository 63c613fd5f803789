import { ModelLoadError } from './errors.ts';
import type { EmbedDtype } from './types.ts';

/** Reads one file of a model folder by relative path; undefined when the folder lacks it. */
export type FileResolver = (path: string) => Promise<Blob | undefined>;

const ONNX_FILE_BY_DTYPE: Record<EmbedDtype, string> = {
  fp32: 'onnx/model.onnx',
  fp16: 'onnx/model_fp16.onnx',
  q8: 'onnx/model_quantized.onnx',
};

const DTYPE_BY_ONNX_FILE = new Map(
  Object.entries(ONNX_FILE_BY_DTYPE).map(([dtype, file]) => [file, dtype]),
);

/** The file transformers.js loads for a dtype (its suffix convention). */
export function onnxFileFor(dtype: EmbedDtype): string {
  return ONNX_FILE_BY_DTYPE[dtype];
}

/** Files transformers.js needs besides the ONNX graph. */
export const REQUIRED_MODEL_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/**
 * Paths relative to the model folder: a picked directory arrives as `my-model/config.json`, so a
 * single top folder holding config.json is dropped.
 */
export function modelFolderFiles(
  files: ReadonlyMap<string, Blob | Uint8Array>,
): Map<string, Blob | Uint8Array> {
  const clean = new Map(
    [...files].map(([path, data]) => [path.replaceAll('\\', '/').replace(/^(\.?\/)+/, ''), data]),
  );
  if (clean.has('config.json')) return clean;
  const roots = [...clean.keys()]
    .filter((path) => path.endsWith('/config.json'))
    .map((path) => path.slice(0, -'config.json'.length))
    .sort((a, b) => a.length - b.length);
  const root = roots[0];
  if (root === undefined) return clean;
  return new Map(
    [...clean].flatMap(([path, data]) =>
      path.startsWith(root) ? [[path.slice(root.length), data] as const] : [],
    ),
  );
}

/** Fails with what is missing and what to do, before transformers.js reports it obscurely. */
export async function checkModelFiles(
  resolve: FileResolver,
  dtype: EmbedDtype,
  listing: readonly string[] | null,
  where: string,
): Promise<void> {
  const onnxFile = onnxFileFor(dtype);
  const wanted = [...REQUIRED_MODEL_FILES, onnxFile];
  const present = await Promise.all(
    wanted.map(async (path) => (await resolve(path)) !== undefined),
  );
  const missing = wanted.filter((_, i) => !present[i]);
  if (missing.length === 0) return;

  const others = (listing ?? []).filter((path) => DTYPE_BY_ONNX_FILE.has(path));
  if (missing.length === 1 && missing[0] === onnxFile) {
    const alternatives = others.map((path) => `${DTYPE_BY_ONNX_FILE.get(path)} (${path})`);
    throw new ModelLoadError(
      `${where} has no ${onnxFile}, which dtype ${dtype} needs.`,
      alternatives.length
        ? `Choose a dtype it has: ${alternatives.join(', ')}.`
        : 'Pick a folder with an ONNX export of the model (onnx/model.onnx in the Hugging Face layout), or export one: Lumina writes it for models it creates.',
    );
  }
  throw new ModelLoadError(
    `${where} is not a Hugging Face model folder: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing.`,
    'Pick the folder that contains config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx.',
  );
}

/** Serves an in-memory folder. */
export function filesResolver(files: ReadonlyMap<string, Blob | Uint8Array>): FileResolver {
  return async (path) => {
    const data = files.get(path);
    if (data === undefined) return undefined;
    return data instanceof Blob ? data : new Blob([data as Uint8Array<ArrayBuffer>]);
  };
}

/**
 * Serves a folder from `baseUrl`. Each file is fetched once per load and kept until `release`,
 * because transformers.js asks for a file twice (size, then contents).
 */
export function urlResolver(
  baseUrl: string,
  fetchFile: typeof fetch = fetch,
): { resolve: FileResolver; release: () => void } {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const fetched = new Map<string, Promise<Blob | undefined>>();
  const load = async (path: string): Promise<Blob | undefined> => {
    // Plain joining keeps a relative base (`/models/x/`) relative to the worker's origin.
    const url = base + path.split('/').map(encodeURIComponent).join('/');
    let response: Response;
    try {
      response = await fetchFile(url);
    } catch (error) {
      throw new ModelLoadError(
        `The model server at ${base} could not be reached (${String(error)}).`,
        'Check that the dev server runs with LUMINA_MODELS_DIR set, or pick the model folder instead.',
        { cause: error },
      );
    }
    if (response.status === 404) return undefined;
    if (!response.ok) {
      throw new ModelLoadError(
        `The model server answered ${response.status} for ${path} under ${base}.`,
        'Check the server and the folder, or pick the model folder instead.',
      );
    }
    return response.blob();
  };
  return {
    resolve(path) {
      let pending = fetched.get(path);
      if (!pending) {
        pending = load(path);
        fetched.set(path, pending);
      }
      return pending;
    },
    release: () => fetched.clear(),
  };
}
