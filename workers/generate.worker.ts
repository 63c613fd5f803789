import * as Comlink from 'comlink';
// The ORT build transformers.js 4.3 runs, served from our own origin (see embed.worker.ts).
import ortWasmMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import '../src/lib/comlink-abort.ts';
import { configureRuntime, type ModelSource } from '../src/core/embed/runtime/index.ts';
import {
  TransformersTextGenerator,
  type GeneratorInfo,
  type GeneratorLoadOptions,
} from '../src/core/model/decoder/index.ts';
import type { ProgressCallback } from '../src/core/progress.ts';
import {
  askGenerative,
  StoreRagSource,
  type GenerateOptions,
  type GenerationResult,
  type GenerativeAnswer,
  type GenerativeAskOptions,
  type Reranker,
} from '../src/core/rag/index.ts';
import { EmbeddingSetCache, LexicalSetCache, type SearchCaches } from '../src/core/search/index.ts';
import { openStore, type LuminaStore } from '../src/core/store/index.ts';

configureRuntime({ wasmPaths: { wasm: ortWasm, mjs: ortWasmMjs } });

let current: TransformersTextGenerator | null = null;

let storePromise: Promise<LuminaStore> | null = null;
const store = (): Promise<LuminaStore> => (storePromise ??= openStore());
let cachesPromise: Promise<SearchCaches> | null = null;
const caches = (): Promise<SearchCaches> =>
  (cachesPromise ??= store().then((s) => ({
    vectors: new EmbeddingSetCache(s),
    lexical: new LexicalSetCache(s),
  })));

function loaded(): TransformersTextGenerator {
  if (!current) throw new Error('No text-generation model is loaded; load one first.');
  return current;
}

/**
 * A comlink callback travels on its own port, so the result could reach the page before the last
 * pieces; waiting for every call's acknowledgement keeps pieces before the final answer.
 */
function delivered(onToken: ((piece: string) => void) | undefined): {
  onToken: ((piece: string) => void) | undefined;
  settled: () => Promise<void>;
} {
  const pending: Promise<unknown>[] = [];
  return {
    onToken: onToken
      ? (piece) => {
          // Through comlink the call returns a promise, though the type says void.
          pending.push(Promise.resolve(onToken(piece) as unknown).catch(() => undefined));
        }
      : undefined,
    settled: async () => {
      await Promise.all(pending);
    },
  };
}

/** Generation options as they cross the worker boundary (signal and callback travel apart). */
export type WorkerGenerateOptions = Omit<GenerateOptions, 'signal' | 'onToken'>;

/** Ask options for a stored dataset; the question vector (dense, hybrid) is embedded page-side. */
export type GenerativeWorkerAskOptions = Omit<
  GenerativeAskOptions,
  'signal' | 'onProgress' | 'onToken' | 'reranker'
> & { datasetName: string };

const api = {
  /** Loads a text-generation model (replacing the previous one) on exactly the device asked. */
  async load(
    source: ModelSource,
    options: Omit<GeneratorLoadOptions, 'signal' | 'onProgress'>,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<GeneratorInfo> {
    const previous = current;
    current = null;
    await previous?.dispose();
    current = await TransformersTextGenerator.load(source, {
      ...options,
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return current.info;
  },

  info(): GeneratorInfo | null {
    return current?.info ?? null;
  },

  /** Streams `onToken` pieces; aborting stops after the current token and returns the partial text. */
  async generate(
    prompt: string,
    options: WorkerGenerateOptions,
    signal?: AbortSignal,
    onToken?: (piece: string) => void,
  ): Promise<GenerationResult> {
    const relay = delivered(onToken);
    const result = await loaded().generate(prompt, {
      ...options,
      ...(signal ? { signal } : {}),
      ...(relay.onToken ? { onToken: relay.onToken } : {}),
    });
    await relay.settled();
    return result;
  },

  /**
   * A generated, cited answer over a stored dataset with the loaded model; `reranker` (a comlink
   * proxy) re-ranks the candidates, e.g. with the cross-encoder the search worker holds.
   */
  async ask(
    datasetId: string,
    setId: string | undefined,
    question: string,
    options: GenerativeWorkerAskOptions,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
    onToken?: (piece: string) => void,
    reranker?: Reranker,
  ): Promise<GenerativeAnswer> {
    const generator = loaded();
    const { datasetName, ...rest } = options;
    const searchCaches = await caches();
    const dims =
      setId === undefined
        ? undefined
        : (await searchCaches.vectors.index(datasetId, setId, signal ? { signal } : {})).dims;
    const source = new StoreRagSource(await store(), searchCaches, {
      datasetId,
      name: datasetName,
      ...(setId !== undefined && dims !== undefined ? { setId, dims } : {}),
    });
    const relay = delivered(onToken);
    const answer = await askGenerative(source, question, generator, {
      ...rest,
      ...(reranker ? { reranker } : {}),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(relay.onToken ? { onToken: relay.onToken } : {}),
    });
    await relay.settled();
    return answer;
  },

  async unload(): Promise<void> {
    const previous = current;
    current = null;
    await previous?.dispose();
  },
};

export type GenerateApi = typeof api;
Comlink.expose(api);
