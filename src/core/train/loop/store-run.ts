import type { ProgressCallback } from '../../progress.ts';
import type { LuminaStore } from '../../store/store.ts';
import type { MetricRow, RunRecord } from '../../store/records.ts';
import { datasetTexts } from '../../tokenizer/train/job.ts';
import type { JsonValue } from '../../types.ts';
import type { TrainConfig } from '../config/types.ts';
import { validateTrainConfig } from '../config/validate.ts';
import { prepareMlmData } from '../data/prepare.ts';
import { mlmTokenizerFromJson } from '../data/tokenizer.ts';
import { stateToJson } from './state.ts';
import {
  trainMlm,
  type TrainLoopOptions,
  type TrainLoopResult,
  type TrainMlmResult,
} from './trainer.ts';

export const MLM_RUN_KIND = 'mlm';

/** Where the texts come from: sent with the request, or a stored dataset's documents. */
export type MlmCorpus = { texts: string[] } | { datasetId: string };

export interface MlmRunRequest {
  config: TrainConfig;
  corpus: MlmCorpus;
  /** The tokenizer's `tokenizer.json` text (and optionally tokenizer_config.json). */
  tokenizerJson: string;
  tokenizerConfig?: string;
  /** Start from a saved model's `model.safetensors` instead of random weights. */
  initialWeights?: Uint8Array;
  /** Run id; a fresh UUID when left out. */
  runId?: string;
}

/** Stored as the run's `config`: all a resume needs to rebuild the same data. */
export interface StoredRunConfig {
  train: TrainConfig;
  corpus: MlmCorpus;
  tokenizerJson: string;
  tokenizerConfig: string | null;
}

export interface MlmRunControls {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  onMetrics?: (rows: MetricRow[]) => void;
  isPaused?: () => boolean;
  /** Checkpoints kept per run besides the newest; older ones are deleted. Default 2. */
  keepCheckpoints?: number;
}

export interface MlmRunResult extends Omit<
  TrainMlmResult,
  'encoderSafetensors' | 'mlmSafetensors'
> {
  runId: string;
  encoderSafetensors: Uint8Array;
}

export function corpusTexts(store: LuminaStore, corpus: MlmCorpus, signal?: AbortSignal) {
  return 'texts' in corpus ? corpus.texts : datasetTexts(store, corpus.datasetId, signal);
}

export function storedConfig(run: RunRecord): StoredRunConfig {
  const config = run.config;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new RangeError(`Run ${run.id} has no MLM configuration`);
  }
  const result = validateTrainConfig(config['train']);
  if (!result.ok) throw new RangeError(`Run ${run.id} has an invalid training config`);
  const corpus = config['corpus'];
  const tokenizerJson = config['tokenizerJson'];
  if (typeof tokenizerJson !== 'string' || typeof corpus !== 'object' || corpus === null) {
    throw new RangeError(`Run ${run.id} lacks its corpus or tokenizer`);
  }
  const tokenizerConfig = config['tokenizerConfig'];
  return {
    train: result.config,
    corpus: corpus as unknown as MlmCorpus,
    tokenizerJson,
    tokenizerConfig: typeof tokenizerConfig === 'string' ? tokenizerConfig : null,
  };
}

/** What a stored run hands its trainer: where to resume and the store's sinks. */
export type StoredRunSinks = Pick<
  TrainLoopOptions,
  'resume' | 'saveCheckpoint' | 'saveMetrics' | 'onMetrics' | 'onProgress' | 'signal' | 'isPaused'
>;

/**
 * Runs `train` for a run record: marks it running, feeds it the newest checkpoint when resuming
 * and sinks writing checkpoints (the newest `keepCheckpoints + 1` kept) and metric rows to the
 * store, then marks the run paused (stopped), done or failed. Shared by every objective.
 */
export async function runInStore<R extends { status: TrainLoopResult['status'] }>(
  store: LuminaStore,
  run: RunRecord,
  resume: boolean,
  controls: MlmRunControls,
  train: (sinks: StoredRunSinks) => Promise<R>,
): Promise<R> {
  const { signal } = controls;
  const latest = resume ? await store.latestCheckpoint(run.id) : undefined;
  if (resume && !latest) throw new RangeError(`Run ${run.id} has no checkpoint to resume from`);
  const keep = controls.keepCheckpoints ?? 2;
  await store.putRun({ ...run, state: 'running' });
  try {
    const result = await train({
      ...(latest ? { resume: { tensors: latest.tensors, state: latest.state } } : {}),
      saveCheckpoint: async (checkpoint) => {
        await store.putCheckpoint({
          runId: run.id,
          step: checkpoint.step,
          createdAt: Date.now(),
          reason: checkpoint.reason,
          tensors: checkpoint.tensors,
          state: stateToJson(checkpoint.state),
        });
        const steps = (await store.listCheckpoints(run.id)).map((c) => c.step);
        const cut = steps[steps.length - 1 - keep];
        if (cut !== undefined) await store.deleteCheckpoints(run.id, cut);
      },
      saveMetrics: (rows) => store.appendMetrics(run.id, rows),
      ...(controls.onMetrics ? { onMetrics: controls.onMetrics } : {}),
      ...(controls.onProgress ? { onProgress: controls.onProgress } : {}),
      ...(signal ? { signal } : {}),
      ...(controls.isPaused ? { isPaused: controls.isPaused } : {}),
    });
    await store.putRun({ ...run, state: result.status === 'stopped' ? 'paused' : 'done' });
    return result;
  } catch (error) {
    await store.putRun({ ...run, state: 'failed' });
    throw error;
  }
}

async function execute(
  store: LuminaStore,
  run: RunRecord,
  stored: StoredRunConfig,
  initialWeights: Uint8Array | undefined,
  resume: boolean,
  controls: MlmRunControls,
): Promise<MlmRunResult> {
  const { signal } = controls;
  const tokenizer = mlmTokenizerFromJson(
    JSON.parse(stored.tokenizerJson),
    stored.tokenizerConfig === null ? undefined : JSON.parse(stored.tokenizerConfig),
  );
  const data = await prepareMlmData(
    corpusTexts(store, stored.corpus, signal),
    tokenizer,
    stored.train.data,
    { signal },
  );
  const result = await runInStore(store, run, resume, controls, (sinks) =>
    trainMlm({
      config: stored.train,
      tokenizer,
      data,
      ...(initialWeights ? { initialWeights } : {}),
      ...sinks,
    }),
  );
  const { mlmSafetensors: _mlm, ...rest } = result;
  return { ...rest, runId: run.id };
}

/**
 * A new MLM run recorded in the store: the run, its metrics (appendMetrics) and checkpoints
 * (kept: the newest `keepCheckpoints + 1`). Stopping (the signal) leaves it `paused`, resumable
 * with {@link resumeMlmRun}.
 */
export async function startMlmRun(
  store: LuminaStore,
  request: MlmRunRequest,
  controls: MlmRunControls = {},
): Promise<MlmRunResult> {
  const checked = validateTrainConfig(request.config);
  if (!checked.ok) {
    throw new RangeError(
      `Invalid training config: ${checked.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
    );
  }
  const stored: StoredRunConfig = {
    train: checked.config,
    corpus: request.corpus,
    tokenizerJson: request.tokenizerJson,
    tokenizerConfig: request.tokenizerConfig ?? null,
  };
  const run: RunRecord = {
    id: request.runId ?? crypto.randomUUID(),
    kind: MLM_RUN_KIND,
    createdAt: Date.now(),
    config: JSON.parse(JSON.stringify(stored)) as JsonValue,
    state: 'pending',
  };
  await store.putRun(run);
  return execute(store, run, stored, request.initialWeights, false, controls);
}

/** Continues a stored run from its newest checkpoint, on the same data and tokenizer. */
export async function resumeMlmRun(
  store: LuminaStore,
  runId: string,
  controls: MlmRunControls = {},
): Promise<MlmRunResult> {
  const run = await store.getRun(runId);
  if (!run) throw new RangeError(`Run ${runId} does not exist`);
  if (run.kind !== MLM_RUN_KIND) throw new RangeError(`Run ${runId} is not an MLM run`);
  return execute(store, run, storedConfig(run), undefined, true, controls);
}
