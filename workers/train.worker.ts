import * as Comlink from 'comlink';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import '../src/lib/comlink-abort.ts';
import type { ProgressCallback } from '../src/core/progress.ts';
import {
  openStore,
  type CheckpointRecord,
  type LuminaStore,
  type MetricRecord,
  type MetricRow,
  type RunRecord,
} from '../src/core/store/index.ts';
import {
  datasetTexts,
  runTokenizerJob,
  type TokenizerJobRequest,
  type TokenizerJobResult,
} from '../src/core/tokenizer/train/index.ts';
import { useBackend, type ActiveBackend } from '../src/core/train/bert/backend.ts';
import type { TrainBackend } from '../src/core/train/config/types.ts';
import {
  extractEncoderSafetensors,
  mlmModelConfig,
  resumeMlmRun,
  startMlmRun,
  stateFromJson,
  trainedModelFiles,
  type MlmRunRequest,
  type MlmRunResult,
} from '../src/core/train/loop/index.ts';
import { mlmTokenizerFromJson } from '../src/core/train/data/index.ts';

let storePromise: Promise<LuminaStore> | null = null;
const store = (): Promise<LuminaStore> => (storePromise ??= openStore());

/** Where the corpus comes from: texts sent by the page, or a stored dataset's documents. */
export type TrainCorpus = { texts: string[] } | { datasetId: string };

/** The wasm binaries as bundled assets: the app is offline, so no CDN. */
const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};

/** Set by pauseRun; the running loop polls it between steps. */
let paused = false;

/** The config's backend, or a BackendUnavailableError saying why not (never another backend). */
function startBackend(backend: TrainBackend): Promise<ActiveBackend> {
  return useBackend(backend, { wasmPaths });
}

export interface MlmWorkerResult extends MlmRunResult {
  backend: ActiveBackend;
}

const api = {
  /** Trains a BPE or WordPiece tokenizer; returns its tokenizer files, stats and coverage. */
  async trainTokenizer(
    corpus: TrainCorpus,
    request: TokenizerJobRequest,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<TokenizerJobResult> {
    if ('texts' in corpus) {
      const expectedChars = corpus.texts.reduce((sum, text) => sum + text.length, 0);
      return runTokenizerJob(corpus.texts, { expectedChars, ...request }, { signal, onProgress });
    }
    const s = await store();
    const dataset = await s.getDataset(corpus.datasetId);
    if (!dataset) throw new Error(`dataset ${corpus.datasetId} not found`);
    return runTokenizerJob(
      datasetTexts(s, corpus.datasetId, signal),
      { expectedChars: dataset.bytes, ...request },
      { signal, onProgress },
    );
  },

  /**
   * A new MLM pretraining run on the config's backend, recorded in the store (run, metrics,
   * checkpoints). Aborting stops it after the current step with a final checkpoint; the result
   * then has status 'stopped' and {@link resumeRun} continues it.
   */
  async trainMlm(
    request: MlmRunRequest,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
    onMetrics?: (rows: MetricRow[]) => void,
  ): Promise<MlmWorkerResult> {
    const backend = await startBackend(request.config.training.backend);
    paused = false;
    const result = await startMlmRun(await store(), request, {
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(onMetrics ? { onMetrics } : {}),
      isPaused: () => paused,
    });
    return { ...result, backend };
  },

  /** Continues a stored run from its newest checkpoint, on the backend its config names. */
  async resumeRun(
    runId: string,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
    onMetrics?: (rows: MetricRow[]) => void,
  ): Promise<MlmWorkerResult> {
    const s = await store();
    const latest = await s.latestCheckpoint(runId);
    if (!latest) throw new Error(`Run ${runId} has no checkpoint to resume from`);
    const backend = await startBackend(stateFromJson(latest.state).config.training.backend);
    paused = false;
    const result = await resumeMlmRun(s, runId, {
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(onMetrics ? { onMetrics } : {}),
      isPaused: () => paused,
    });
    return { ...result, backend };
  },

  /** Pauses (true) or continues (false) the run in progress between steps. */
  pauseRun(value: boolean): void {
    paused = value;
  },

  async listRuns(): Promise<RunRecord[]> {
    return (await store()).listRuns();
  },

  async runMetrics(runId: string): Promise<MetricRecord[]> {
    return (await store()).getMetrics(runId);
  },

  async listCheckpoints(runId: string): Promise<Omit<CheckpointRecord, 'tensors'>[]> {
    return (await store()).listCheckpoints(runId);
  },

  /**
   * The weights-only model of a checkpoint (the newest when `step` is left out) in the HF
   * layout: config.json, model.safetensors and tokenizer.json, by path.
   */
  async extractModel(runId: string, step?: number): Promise<Record<string, Uint8Array>> {
    const s = await store();
    const run = await s.getRun(runId);
    const checkpoint =
      step === undefined ? await s.latestCheckpoint(runId) : await s.getCheckpoint(runId, step);
    if (!run || !checkpoint)
      throw new Error(`No checkpoint of run ${runId} at ${step ?? 'latest'}`);
    const state = stateFromJson(checkpoint.state);
    const stored = run.config as { tokenizerJson?: unknown };
    if (typeof stored.tokenizerJson !== 'string') throw new Error(`Run ${runId} has no tokenizer`);
    const tokenizer = mlmTokenizerFromJson(JSON.parse(stored.tokenizerJson));
    const files = trainedModelFiles({
      hfConfig: mlmModelConfig(state.config, tokenizer).hf,
      encoderSafetensors: extractEncoderSafetensors(checkpoint.tensors),
      tokenizerFiles: { 'tokenizer.json': stored.tokenizerJson },
    });
    return Comlink.transfer(
      Object.fromEntries(files),
      [...files.values()].map((bytes) => bytes.buffer as ArrayBuffer),
    );
  },
};

export type TrainApi = typeof api;
Comlink.expose(api);
