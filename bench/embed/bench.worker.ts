import * as Comlink from 'comlink';
import { AutoTokenizer, env, pipeline, type Tensor } from '@huggingface/transformers';
import * as ortWeb from 'onnxruntime-web/wasm';
import ortWasmMjs from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortPlainWasmMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import ortPlainWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { bucketsUpTo, planBatches } from '../../src/core/embed/batching/index.ts';
import { configureRuntime, EmbeddingModel } from '../../src/core/embed/runtime/index.ts';
import { runBareBatches } from './bare-ort.ts';
import {
  benchRun,
  type BenchRun,
  type BrowserBenchRequest,
  type BrowserBenchResult,
} from './protocol.ts';

/** Texts embedded once before timing, so both engines are measured warm. */
const WARMUP_TEXTS = 32;

/**
 * Runs one engine over the corpus. Each engine gets a fresh worker (and browser), so neither
 * inherits the other's transformers.js settings, compiled wasm or memory high-water mark.
 */
const api = {
  async run(request: BrowserBenchRequest): Promise<BrowserBenchResult> {
    const result =
      request.engine === 'pipeline'
        ? await runPipeline(request)
        : request.engine === 'ort-web'
          ? await runBareOrtWeb(request)
          : await runLumina(request);
    return {
      ...result,
      crossOriginIsolated: globalThis.crossOriginIsolated,
      threads:
        request.engine === 'ort-web'
          ? (ortWeb.env.wasm.numThreads ?? 0)
          : (env.backends.onnx.wasm?.numThreads ?? 0),
    };
  },
};

export type BenchWorkerApi = typeof api;

/** Lumina's engine: token counts → token-budget plan (sorted, bucketed) → EmbeddingModel.embed. */
async function runLumina(request: BrowserBenchRequest): Promise<BenchRun> {
  const { texts } = request;
  const wasmPaths =
    request.engine === 'lumina-plain'
      ? { wasm: ortPlainWasm, mjs: ortPlainWasmMjs }
      : { wasm: ortWasm, mjs: ortWasmMjs };
  configureRuntime({ wasmPaths, numThreads: request.threads });
  const model = await EmbeddingModel.load(
    { kind: 'url', baseUrl: `/models/${request.modelName}/`, name: request.modelName },
    {
      dtype: 'fp32',
      device: 'wasm',
      pooling: 'mean',
      normalize: true,
      maxTokens: request.maxTokens,
    },
  );
  try {
    await model.embed(texts.slice(0, WARMUP_TEXTS), 'document');
    const { dims } = model.info;
    const out = new Float32Array(texts.length * dims);
    const started = performance.now();
    const lengths = model.countTokens(texts, 'document');
    const plan = planBatches(
      texts.map((_, i) => ({ id: String(i), tokens: lengths[i] ?? 0 })),
      { tokenBudget: request.tokenBudget, buckets: bucketsUpTo(model.info.maxTokens) },
    );
    for (const batch of plan) {
      const vectors = await model.embed(
        batch.indices.map((i) => texts[i] ?? ''),
        'document',
      );
      batch.indices.forEach((row, k) => {
        out.set(vectors.subarray(k * dims, (k + 1) * dims), row * dims);
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const batches = plan.map((batch) => [...batch.indices]);
    return benchRun(batches, lengths, seconds, dims, out);
  } finally {
    await model.dispose();
  }
}

/** transformers.js reads models from Vite's `/models/` only: no hub, no browser cache. */
function useServedModels(): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = '/models/';
  env.useBrowserCache = false;
}

/** A bare onnxruntime-web session on Lumina's batches: the WASM backend's own ceiling. */
async function runBareOrtWeb(request: BrowserBenchRequest): Promise<BenchRun> {
  const { batches } = request;
  if (!batches) throw new Error('The ort-web engine needs the batches to run');
  useServedModels();
  const tokenizer = await AutoTokenizer.from_pretrained(request.modelName);
  ortWeb.env.wasm.wasmPaths = { wasm: ortPlainWasm, mjs: ortPlainWasmMjs };
  ortWeb.env.wasm.numThreads = request.threads;
  const session = await ortWeb.InferenceSession.create(
    `/models/${request.modelName}/onnx/model.onnx`,
    { executionProviders: ['wasm'], graphOptimizationLevel: 'all' },
  );
  try {
    return await runBareBatches(
      session,
      tokenizer,
      (values, dims) => new ortWeb.Tensor('int64', values, dims),
      request.texts,
      batches,
      request.maxTokens,
    );
  } finally {
    await session.release();
  }
}

/** The plain way: `pipeline('feature-extraction')` on fixed batches in input order. */
async function runPipeline(request: BrowserBenchRequest): Promise<BenchRun> {
  const { texts } = request;
  useServedModels();
  const wasm = env.backends.onnx.wasm;
  if (wasm) {
    wasm.wasmPaths = { wasm: ortWasm, mjs: ortWasmMjs };
    wasm.numThreads = request.threads;
  }
  const extractor = await pipeline('feature-extraction', request.modelName, {
    dtype: 'fp32',
    device: 'wasm',
  });
  // No truncation setting is needed: the corpus is cut to fit maxTokens, so neither engine cuts.
  const embed = async (batch: string[]): Promise<Tensor> =>
    extractor(batch, { pooling: 'mean', normalize: true });
  try {
    (await embed(texts.slice(0, WARMUP_TEXTS))).dispose();
    const batches: number[][] = [];
    for (let i = 0; i < texts.length; i += request.pipelineBatch) {
      batches.push(texts.slice(i, i + request.pipelineBatch).map((_, k) => i + k));
    }
    let dims = 0;
    const parts: Float32Array[] = [];
    const started = performance.now();
    for (const batch of batches) {
      const output = await embed(batch.map((i) => texts[i] ?? ''));
      dims = output.dims[1] ?? 0;
      parts.push(new Float32Array(output.data as Float32Array));
      output.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    const out = new Float32Array(texts.length * dims);
    parts.forEach((part, b) => out.set(part, (batches[b]?.[0] ?? 0) * dims));
    // Counted after timing: the pipeline itself never needs the lengths.
    const lengths = texts.map(
      (text) => extractor.tokenizer(text, { return_tensor: false }).input_ids.length,
    );
    return benchRun(batches, lengths, seconds, dims, out);
  } finally {
    await extractor.dispose();
  }
}

Comlink.expose(api);
