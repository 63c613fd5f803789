import * as Comlink from 'comlink';
// The ORT build transformers.js 4.3 runs (onnxruntime-web/webgpu → asyncify), served from our
// own origin: Vite emits both files into the build, so no CDN is ever asked.
import ortWasmMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import '../src/lib/comlink-abort.ts';
import type { SemanticChunkOptions } from '../src/core/chunk/index.ts';
import {
  configureRuntime,
  EmbeddingModel,
  loadModelTokenCounter,
  modelFolderFiles,
  type EmbeddingModelInfo,
  type EmbeddingOptions,
  type ModelSource,
  type TextKind,
} from '../src/core/embed/runtime/index.ts';
import {
  chooseDevice,
  measureTokensPerSecond,
  type DeviceChoice,
  type DevicePreference,
  type WebGpuStatus,
} from '../src/core/embed/device/index.ts';
import {
  cancelEmbedJob,
  embedDataset,
  getEmbedJob,
  idbBudgetStore,
  runnerFromModel,
  type ModelIdentity,
  type EmbedDatasetResult,
  type EmbedJobCursor,
  type EmbedProgress,
} from '../src/core/embed/job/index.ts';
import {
  chunkDatasetSemantic,
  type SemanticDatasetControl,
} from '../src/core/pipeline/chunk-dataset-semantic.ts';
import type { ChunkDatasetResult } from '../src/core/pipeline/chunk-dataset.ts';
import { sha256OfBlob } from '../src/core/hash.ts';
import type { ProgressCallback } from '../src/core/progress.ts';
import { openStore, type JobRecord, type LuminaStore } from '../src/core/store/index.ts';
import type { TokenCounter } from '../src/core/tokenizer/index.ts';

configureRuntime({ wasmPaths: { wasm: ortWasm, mjs: ortWasmMjs } });

let current: EmbeddingModel | null = null;
/** Identifies what `current` was loaded from, so a job reuses it instead of loading again. */
let currentKey: string | null = null;

let storePromise: Promise<LuminaStore> | null = null;
const store = (): Promise<LuminaStore> => (storePromise ??= openStore());

/** A files source is keyed by its name and file sizes: the Map itself does not survive cloning. */
function sourceKey(source: ModelSource, options: EmbeddingOptions): string {
  const where =
    source.kind === 'hub'
      ? [source.id, source.revision ?? '']
      : source.kind === 'url'
        ? [source.baseUrl]
        : [
            source.name ?? '',
            ...[...source.files].map(
              ([path, file]) => `${path}:${file instanceof Blob ? file.size : file.byteLength}`,
            ),
          ];
  return JSON.stringify([source.kind, ...where, options]);
}

async function ensureModel(
  source: ModelSource,
  options: EmbeddingOptions,
  signal?: AbortSignal,
  onProgress?: ProgressCallback,
  reload = false,
): Promise<EmbeddingModel> {
  const key = sourceKey(source, options);
  if (!reload && current && currentKey === key) return current;
  const previous = current;
  current = null;
  currentKey = null;
  await previous?.dispose();
  current = await EmbeddingModel.load(source, options, { signal, onProgress });
  currentKey = key;
  return current;
}

/** The loaded model's tokenizer with offsets, read once per model source. */
let counter: { key: string; counter: Promise<TokenCounter> } | null = null;

function modelCounter(source: ModelSource, options: EmbeddingOptions): Promise<TokenCounter> {
  const key = sourceKey(source, options);
  if (counter?.key !== key) {
    const loading = loadModelTokenCounter(source);
    // A failed read is retried next time instead of being remembered.
    loading.catch(() => {
      if (counter?.counter === loading) counter = null;
    });
    counter = { key, counter: loading };
  }
  return counter.counter;
}

/** Hashes of the ONNX files that ran, by `sourceKey`, so a model is hashed once per load. */
const identities = new Map<string, Promise<ModelIdentity>>();

/**
 * Which weights ran, for the job record and so for exported bundles: the Hub revision, or the
 * sha256 of the folder's ONNX file (read again from memory or the local server, never the net).
 */
function modelIdentity(
  source: ModelSource,
  options: EmbeddingOptions,
  onnxFile: string,
  signal?: AbortSignal,
): Promise<ModelIdentity> {
  if (source.kind === 'hub') {
    return Promise.resolve({ revision: source.revision ?? 'main', weightsSha256: null });
  }
  const key = sourceKey(source, options);
  let hashing = identities.get(key);
  if (!hashing) {
    hashing = (async (): Promise<ModelIdentity> => {
      let weights: Blob | undefined;
      if (source.kind === 'files') {
        const file = modelFolderFiles(source.files).get(onnxFile);
        if (file)
          weights = file instanceof Blob ? file : new Blob([file as Uint8Array<ArrayBuffer>]);
      } else {
        const response = await fetch(
          new URL(onnxFile, new URL(source.baseUrl, self.location.href)),
        );
        if (response.ok) weights = await response.blob();
      }
      return {
        revision: null,
        weightsSha256: weights ? await sha256OfBlob(weights, signal) : null,
      };
    })();
    identities.set(key, hashing);
    hashing.catch(() => identities.delete(key));
  }
  return hashing;
}

/** Which embedding set a job writes, and how it runs. */
export interface EmbedJobOptions {
  setId: string;
  /** Padded tokens per batch to start from. */
  tokenBudget: number;
  /** Continue the set's unfinished job instead of starting over. */
  resume: boolean;
}

function loaded(): EmbeddingModel {
  if (!current) throw new Error('No embedding model is loaded: load one first.');
  return current;
}

/** Token ids and last hidden state of a batch, for inspection and parity checks. */
export interface HiddenStatesResult {
  batch: number;
  seq: number;
  hidden: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  lengths: Int32Array;
  data: Float32Array;
}

const api = {
  /** Replaces the loaded model; the previous one is released first to bound memory. */
  async load(
    source: ModelSource,
    options: EmbeddingOptions = {},
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<EmbeddingModelInfo> {
    return (await ensureModel(source, options, signal, onProgress, true)).info;
  },

  /** Like `load`, but keeps the loaded model when it came from the same source and options. */
  async use(
    source: ModelSource,
    options: EmbeddingOptions = {},
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<EmbeddingModelInfo> {
    return (await ensureModel(source, options, signal, onProgress)).info;
  },

  /**
   * Embeds every chunk of a dataset with the model from `source` (loaded unless it already is),
   * storing each batch as it finishes. Aborting pauses the job; `resume` continues it.
   */
  async embedDataset(
    datasetId: string,
    source: ModelSource,
    options: EmbeddingOptions,
    jobOptions: EmbedJobOptions,
    signal?: AbortSignal,
    onProgress?: (event: EmbedProgress) => void,
  ): Promise<EmbedDatasetResult> {
    const model = await ensureModel(source, options, signal);
    const identity = await modelIdentity(source, options, model.info.onnxFile, signal);
    const s = await store();
    return embedDataset(
      s,
      datasetId,
      runnerFromModel(model, model.info.name, identity),
      {
        setId: jobOptions.setId,
        tokenBudget: jobOptions.tokenBudget,
        maxTokens: model.info.maxTokens,
        resume: jobOptions.resume,
      },
      {
        ...(signal ? { signal } : {}),
        ...(onProgress ? { onProgress } : {}),
        budgetStore: idbBudgetStore(s),
      },
    );
  },

  /**
   * Re-chunks a dataset where the model's sentence embeddings change most, measuring chunks in
   * the model's own tokens; loads the model from `source` unless it already is.
   */
  async chunkSemantic(
    datasetId: string,
    source: ModelSource,
    embeddingOptions: EmbeddingOptions,
    chunkOptions: SemanticChunkOptions,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<ChunkDatasetResult> {
    const model = await ensureModel(source, embeddingOptions, signal);
    const tokens = await modelCounter(source, embeddingOptions);
    const control: SemanticDatasetControl = {
      modelName: model.info.name,
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    };
    return chunkDatasetSemantic(
      await store(),
      datasetId,
      chunkOptions,
      tokens,
      (texts) => model.embed(texts, 'document', signal),
      control,
    );
  },

  async embedJobStatus(
    datasetId: string,
    setId: string,
  ): Promise<{ job: JobRecord; cursor: EmbedJobCursor } | undefined> {
    return getEmbedJob(await store(), datasetId, setId);
  },

  /** Discards a job and its partial vectors; abort a running `embedDataset` first. */
  async cancelEmbedJob(datasetId: string, setId: string): Promise<void> {
    await cancelEmbedJob(await store(), datasetId, setId);
  },

  /**
   * Decides the device for a model: forced, remembered, or measured on `sample` (a few of the
   * corpus's texts) on both devices with the actual model. Loads its own short-lived copies.
   */
  async chooseDevice(
    source: ModelSource,
    options: EmbeddingOptions,
    preference: DevicePreference,
    sample: string[],
    webgpu: WebGpuStatus,
    remembered?: DeviceChoice,
    signal?: AbortSignal,
  ): Promise<DeviceChoice> {
    return chooseDevice(preference, {
      webgpu,
      ...(remembered ? { remembered } : {}),
      measure: (device) =>
        measureTokensPerSecond(
          device,
          async (d) => {
            const model = await EmbeddingModel.load(source, { ...options, device: d }, { signal });
            return {
              countTokens: (texts) => model.countTokens(texts, 'document'),
              embed: (texts) => model.embed(texts, 'document', signal),
              dispose: () => model.dispose(),
            };
          },
          { sample, ...(signal ? { signal } : {}) },
        ),
    });
  },

  async info(): Promise<EmbeddingModelInfo | null> {
    return current?.info ?? null;
  },

  /** [texts.length × dims] row-major, transferred. */
  async embed(texts: string[], kind: TextKind, signal?: AbortSignal): Promise<Float32Array> {
    const vectors = await loaded().embed(texts, kind, signal);
    return Comlink.transfer(vectors, [vectors.buffer]);
  },

  async countTokens(texts: string[], kind: TextKind): Promise<Int32Array> {
    return loaded().countTokens(texts, kind);
  },

  async hiddenStates(
    texts: string[],
    kind: TextKind,
    signal?: AbortSignal,
  ): Promise<HiddenStatesResult> {
    const { tokens, hidden, data } = await loaded().hiddenStates(texts, kind, signal);
    const result: HiddenStatesResult = {
      batch: tokens.batch,
      seq: tokens.seq,
      hidden,
      inputIds: tokens.inputIds,
      attentionMask: tokens.attentionMask,
      lengths: tokens.lengths,
      data,
    };
    return Comlink.transfer(result, [data.buffer]);
  },

  async dispose(): Promise<void> {
    const previous = current;
    current = null;
    currentKey = null;
    await previous?.dispose();
  },
};

export type EmbedApi = typeof api;
Comlink.expose(api);
