import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
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
  type MlmRunControls,
  type MlmRunRequest,
  type MlmRunResult,
} from '../src/core/train/loop/index.ts';
import { mlmTokenizerFromJson } from '../src/core/train/data/index.ts';
import { readBertSafetensors } from '../src/core/train/bert/weights-io.ts';
import { pickMlmHeadWeights } from '../src/core/train/mlm/head.ts';
import {
  exportTrainedModel,
  exportedModelZip,
  saveExportedModel,
  type ExportPooling,
} from '../src/core/train/export/index.ts';

import {
  decoderRunFolder,
  resumeDecoderRun,
  startDecoderRun,
  type DecoderRunRequest,
  type DecoderRunResult,
} from '../src/core/train/decoder/index.ts';
import {
  evaluatorFromSpec,
  fineTune,
  type FineTuneJobRequest,
  type FineTuneJobResult,
} from '../src/core/finetune/index.ts';

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
  // The threaded wasm build starts its pthreads from a blob script that cannot reach this bundled
  // module worker ("e is not defined", then tf.ready() never settles): use the single-thread
  // SIMD binary. ActiveBackend.detail reports "threads off".
  if (backend === 'wasm') tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  return useBackend(backend, { wasmPaths });
}

/** A stored run's controls from the page: abort, progress, metric rows, and the pause flag. */
function runControls(
  signal: AbortSignal | undefined,
  onProgress: ProgressCallback | undefined,
  onMetrics: ((rows: MetricRow[]) => void) | undefined,
): MlmRunControls {
  return {
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(onMetrics ? { onMetrics } : {}),
    isPaused: () => paused,
  };
}

/** The backend a stored run's newest checkpoint was trained on: a resume goes on there. */
async function checkpointBackend(s: LuminaStore, runId: string): Promise<TrainBackend> {
  const latest = await s.latestCheckpoint(runId);
  if (!latest) throw new Error(`Run ${runId} has no checkpoint to resume from`);
  return stateFromJson(latest.state).config.training.backend;
}

/** What a run pretrains: a BERT encoder by MLM, or a GPT-2 decoder by causal LM. */
export type PretrainObjective = 'mlm' | 'clm';

/** A new run of either objective: MLM takes the encoder's request, causal LM the decoder's. */
export type PretrainRequest =
  { objective: 'mlm'; run: MlmRunRequest } | { objective: 'clm'; run: DecoderRunRequest };

/**
 * A finished or stopped run of either objective and the backend it ran on. One object type, not
 * a union: comlink's Remote would turn a union into a union of promises.
 */
export interface PretrainWorkerResult extends Pick<
  MlmRunResult | DecoderRunResult,
  'runId' | 'status' | 'step' | 'totalSteps' | 'epoch' | 'summary'
> {
  backend: ActiveBackend;
}

function startPretraining(
  s: LuminaStore,
  request: PretrainRequest,
  controls: MlmRunControls,
): Promise<MlmRunResult | DecoderRunResult> {
  return request.objective === 'clm'
    ? startDecoderRun(s, request.run, controls)
    : startMlmRun(s, request.run, controls);
}

function resumePretraining(
  s: LuminaStore,
  objective: PretrainObjective,
  runId: string,
  controls: MlmRunControls,
): Promise<MlmRunResult | DecoderRunResult> {
  return objective === 'clm'
    ? resumeDecoderRun(s, runId, controls)
    : resumeMlmRun(s, runId, controls);
}

/**
 * Starts the backend `backendOf` names, clears the pause flag and runs `train` in the store;
 * the result says which backend it ran on.
 */
async function pretrain(
  backendOf: (s: LuminaStore) => Promise<TrainBackend>,
  train: (s: LuminaStore, controls: MlmRunControls) => Promise<MlmRunResult | DecoderRunResult>,
  controls: MlmRunControls,
): Promise<PretrainWorkerResult> {
  const s = await store();
  const backend = await startBackend(await backendOf(s));
  paused = false;
  return { ...(await train(s, controls)), backend };
}

/**
 * A stored run's checkpoint (the newest when `step` is left out), its training state, and the
 * tokenizer files the run was started with.
 */
async function runCheckpoint(s: LuminaStore, runId: string, step: number | undefined) {
  const run = await s.getRun(runId);
  const checkpoint =
    step === undefined ? await s.latestCheckpoint(runId) : await s.getCheckpoint(runId, step);
  if (!run || !checkpoint) throw new Error(`No checkpoint of run ${runId} at ${step ?? 'latest'}`);
  const state = stateFromJson(checkpoint.state);
  const stored = run.config as { tokenizerJson?: unknown; tokenizerConfig?: unknown };
  if (typeof stored.tokenizerJson !== 'string') throw new Error(`Run ${runId} has no tokenizer`);
  return {
    checkpoint,
    state,
    tokenizerJson: stored.tokenizerJson,
    tokenizerConfig:
      typeof stored.tokenizerConfig === 'string' ? stored.tokenizerConfig : undefined,
  };
}

/** A run's model as saved by {@link api.exportRunModel}: its id in the model store and a zip. */
export interface RunModelExport {
  modelId: string;
  step: number;
  fileCount: number;
  zip: Uint8Array;
  zipName: string;
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
   * A new pretraining run of the request's objective (MLM encoder or causal-LM decoder) on the
   * config's backend, recorded in the store (run, metrics, checkpoints). Aborting stops it after
   * the current step with a final checkpoint; the result then has status 'stopped' and
   * {@link resumeRun} continues it.
   */
  async startRun(
    request: PretrainRequest,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
    onMetrics?: (rows: MetricRow[]) => void,
  ): Promise<PretrainWorkerResult> {
    return pretrain(
      async () => request.run.config.training.backend,
      (s, controls) => startPretraining(s, request, controls),
      runControls(signal, onProgress, onMetrics),
    );
  },

  /**
   * Continues a stored run of `objective` from its newest checkpoint, on the backend that
   * checkpoint was trained on.
   */
  async resumeRun(
    objective: PretrainObjective,
    runId: string,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
    onMetrics?: (rows: MetricRow[]) => void,
  ): Promise<PretrainWorkerResult> {
    return pretrain(
      (s) => checkpointBackend(s, runId),
      (s, controls) => resumePretraining(s, objective, runId, controls),
      runControls(signal, onProgress, onMetrics),
    );
  },

  /**
   * A decoder run's checkpoint (the newest when `step` is left out) as a text-generation folder
   * kept in this browser's models, where the Ask panel lists it, and as a zip.
   */
  async exportDecoderRun(
    runId: string,
    step: number | undefined,
    name: string,
    signal?: AbortSignal,
  ): Promise<RunModelExport> {
    const s = await store();
    const folder = await decoderRunFolder(s, runId, step, name);
    const modelId = await saveExportedModel(s, folder.files, name, signal ? { signal } : {});
    const zip = await exportedModelZip(folder.files, name, signal ? { signal } : {});
    return Comlink.transfer(
      {
        modelId,
        step: folder.step,
        fileCount: folder.files.size,
        zip: zip.bytes,
        zipName: zip.fileName,
      },
      [zip.bytes.buffer as ArrayBuffer],
    );
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
    const { checkpoint, state, tokenizerJson } = await runCheckpoint(await store(), runId, step);
    const tokenizer = mlmTokenizerFromJson(JSON.parse(tokenizerJson));
    const files = trainedModelFiles({
      hfConfig: mlmModelConfig(state.config, tokenizer).hf,
      encoderSafetensors: extractEncoderSafetensors(checkpoint.tensors),
      tokenizerFiles: { 'tokenizer.json': tokenizerJson },
    });
    return Comlink.transfer(
      Object.fromEntries(files),
      [...files.values()].map((bytes) => bytes.buffer as ArrayBuffer),
    );
  },

  /**
   * Exports a checkpoint (the newest when `step` is left out) as an HF folder with ONNX, keeps
   * it in the browser's model store (the Embedding panel lists it) and returns its id and a zip.
   */
  async exportRunModel(
    runId: string,
    step: number | undefined,
    name: string,
    pooling: ExportPooling,
    normalize: boolean,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<RunModelExport> {
    const s = await store();
    const { checkpoint, state, tokenizerJson, tokenizerConfig } = await runCheckpoint(
      s,
      runId,
      step,
    );
    const tokenizer = mlmTokenizerFromJson(
      JSON.parse(tokenizerJson),
      tokenizerConfig === undefined ? undefined : JSON.parse(tokenizerConfig),
    );
    const { encoder, hf } = mlmModelConfig(state.config, tokenizer);
    // Checkpoint tensors: bert.* and cls.predictions.* besides optimizer moments and best.*.
    const weights = readBertSafetensors(encoder, checkpoint.tensors);
    const text = new TextEncoder();
    const tokenizerFiles = new Map([['tokenizer.json', text.encode(tokenizerJson)]]);
    if (tokenizerConfig !== undefined)
      tokenizerFiles.set('tokenizer_config.json', text.encode(tokenizerConfig));
    const { summary } = state;
    const files = await exportTrainedModel({
      config: hf,
      encoderWeights: weights.encoder,
      mlmHeadWeights: pickMlmHeadWeights(encoder, weights.rest),
      tokenizerFiles,
      pooling,
      normalize,
      name,
      maxSeqLength: state.config.data.seq_len,
      training: {
        steps: state.step,
        epochs: state.step / state.stepsPerEpoch,
        tokens: summary.tokens,
        seconds: summary.seconds,
        backend: state.config.training.backend,
        seed: state.config.training.seed,
        ...(summary.lastTrain ? { trainLoss: summary.lastTrain.loss } : {}),
        ...(summary.lastValidation
          ? {
              validationLoss: summary.lastValidation.loss,
              maskedAccuracy: summary.lastValidation.accuracy,
              perplexity: summary.lastValidation.perplexity,
            }
          : {}),
      },
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    const modelId = await saveExportedModel(s, files, name, signal ? { signal } : {});
    const zip = await exportedModelZip(files, name, signal ? { signal } : {});
    return Comlink.transfer(
      {
        modelId,
        step: checkpoint.step,
        fileCount: files.size,
        zip: zip.bytes,
        zipName: zip.fileName,
      },
      [zip.bytes.buffer as ArrayBuffer],
    );
  },

  /**
   * Fine-tunes a sentence encoder (core fineTune) on the request's backend, then exports it:
   * saved into this browser's models and returned as a zip. Aborting stops after the step under
   * way; the model reached so far is still exported.
   */
  async fineTune(
    request: FineTuneJobRequest,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
    onMetrics?: (rows: MetricRow[]) => void,
  ): Promise<FineTuneJobResult> {
    await startBackend(request.training.backend);
    const result = await fineTune({
      base: request.base,
      train: request.train,
      ...(request.evaluation ? { evaluator: evaluatorFromSpec(request.evaluation) } : {}),
      loss: request.loss,
      pooling: request.pooling,
      training: request.training,
      maxLength: request.maxLength,
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
      ...(onMetrics ? { onMetrics } : {}),
    });
    const tokenizerFiles = new Map([
      ['tokenizer.json', new TextEncoder().encode(JSON.stringify(request.base.tokenizer))],
    ]);
    if (request.base.tokenizerConfig !== undefined) {
      tokenizerFiles.set(
        'tokenizer_config.json',
        new TextEncoder().encode(JSON.stringify(request.base.tokenizerConfig)),
      );
    }
    const files = await exportTrainedModel({
      config: request.base.config,
      encoderWeights: result.encoderWeights,
      tokenizerFiles,
      pooling: request.pooling.mode,
      normalize: request.pooling.normalize,
      name: request.name,
      maxSeqLength: Math.min(request.maxLength, result.encoderConfig.maxPositionEmbeddings),
    });
    const modelId = await saveExportedModel(await store(), files, request.name);
    const zip = await exportedModelZip(files, request.name);
    return Comlink.transfer(
      {
        status: result.status,
        step: result.step,
        totalSteps: result.totalSteps,
        before: result.before,
        after: result.after,
        primaryMetric: result.primaryMetric,
        bestStep: result.bestStep,
        firstLoss: result.firstLoss,
        lastLoss: result.lastLoss,
        seconds: result.seconds,
        modelId,
        zip: zip.bytes,
        zipName: zip.fileName,
      },
      [zip.bytes.buffer as ArrayBuffer],
    );
  },
};

export type TrainApi = typeof api;
Comlink.expose(api);
