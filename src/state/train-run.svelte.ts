import * as Comlink from 'comlink';
import type { Progress } from '../core/progress.ts';
import type {
  CheckpointRecord,
  DatasetRecord,
  MetricRow,
  RunRecord,
  RunState,
} from '../core/store/index.ts';
import type { TrainBackend, TrainConfig } from '../core/train/config/types.ts';
import type { ExportPooling } from '../core/train/export/index.ts';
import { stateFromJson } from '../core/train/loop/state.ts';
import { trainClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import { metricsJsonl } from '../views/train/train-charts.ts';
import type {
  PretrainObjective,
  PretrainRequest,
  PretrainWorkerResult,
  RunModelExport,
  TrainApi,
} from '../../workers/train.worker.ts';
import { JobState } from './job.svelte.ts';
import { pageStore } from './library.svelte.ts';
import type { TokenizerTrainState } from './tokenizer-train.svelte.ts';

export type CheckpointInfo = Omit<CheckpointRecord, 'tensors' | 'state'>;

/** A past or current run as the runs list shows it. */
export interface RunSummary {
  id: string;
  kind: PretrainObjective;
  createdAt: number;
  /** `interrupted`: the store says running but no page runs it (the tab was closed mid-run). */
  status: RunState | 'interrupted';
  step: number;
  totalSteps: number;
  bestValLoss: number | null;
  backend: TrainBackend | null;
  /** The config the run was started with (null for a run stored without one). */
  config: TrainConfig | null;
  /** Has a checkpoint and is not finished: Resume continues it. */
  resumable: boolean;
}

/** `decoder`: a byte-level BPE with the decoder's special tokens, trained on the dataset at start. */
export type TokenizerSource = 'trained' | 'uploaded' | 'decoder';

export interface WebGpuStatus {
  available: boolean;
  reason: string;
}

/** Grace period for Stop: the step under way finishes and a final checkpoint is written. */
const STOP_GRACE_MS = 120_000;
/** How often the checkpoints list of the run in progress is read again. */
const CHECKPOINT_POLL_MS = 3_000;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Is WebGPU usable here? Asked once; the worker's backend check says the same in its error. */
async function probeWebGpu(): Promise<WebGpuStatus> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    return { available: false, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
  }
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { available: false, reason: 'no WebGPU adapter was offered' };
    return { available: true, reason: '' };
  } catch (error) {
    return { available: false, reason: `requesting a WebGPU adapter failed (${message(error)})` };
  }
}

function summaryOf(
  run: RunRecord,
  checkpoints: readonly Omit<CheckpointRecord, 'tensors'>[],
  activeRunId: string | null,
): RunSummary {
  const latest = checkpoints[checkpoints.length - 1];
  const state = latest ? stateFromJson(latest.state) : null;
  const interrupted = run.state === 'running' && run.id !== activeRunId;
  const finished = state?.status === 'completed' || state?.status === 'early-stopped';
  const config = (run.config as { train?: TrainConfig } | null)?.train;
  return {
    id: run.id,
    kind: run.kind === 'clm' ? 'clm' : 'mlm',
    createdAt: run.createdAt,
    status: interrupted ? 'interrupted' : run.state,
    step: state?.step ?? 0,
    totalSteps: state?.totalSteps ?? 0,
    bestValLoss: state?.summary.bestValLoss ?? null,
    backend: config?.training.backend ?? null,
    config: config ?? null,
    resumable: latest !== undefined && !finished && run.id !== activeRunId,
  };
}

/** Rows keyed by step and split: a resumed run logs again the steps after its checkpoint. */
function mergeRows(into: readonly MetricRow[], rows: readonly MetricRow[]): MetricRow[] {
  const byKey: Record<string, MetricRow> = {};
  for (const row of [...into, ...rows]) byKey[`${row.step}:${row.split}`] = row;
  return Object.values(byKey).sort((a, b) => a.step - b.step);
}

/**
 * MLM pretraining from the Train view: the dataset and tokenizer, the run in progress (start,
 * pause, resume, stop) with its live metric rows, past runs with their curves and checkpoints,
 * and exporting a checkpoint as a model. Training, store reads and export run in the train worker.
 */
export class TrainRunState {
  datasets = $state.raw<DatasetRecord[]>([]);
  datasetId = $state<string | null>(null);
  tokenizerSource = $state<TokenizerSource>('trained');
  uploadedTokenizer = $state.raw<{ name: string; json: string; config: string | null } | null>(
    null,
  );
  webgpu = $state.raw<WebGpuStatus | null>(null);
  /** Says which backend replaced WebGPU when it was asked for but is not there. */
  backendNotice = $state<string | null>(null);
  /** The backend the worker started for the run in progress or the last one. */
  activeBackend = $state<string | null>(null);

  readonly job = new JobState();
  activeRunId = $state<string | null>(null);
  paused = $state(false);
  stopping = $state(false);

  runs = $state.raw<RunSummary[]>([]);
  selectedRunId = $state<string | null>(null);
  /** Runs overlaid in the charts besides the selected one. */
  compareIds = $state.raw<string[]>([]);
  metrics = $state.raw<Record<string, MetricRow[]>>({});
  checkpoints = $state.raw<CheckpointInfo[]>([]);
  loadError = $state<string | null>(null);

  exportName = $state('my-lumina-bert');
  exportPooling = $state<ExportPooling>('mean');
  exportNormalize = $state(true);
  readonly exportJob = new JobState();
  exported = $state.raw<(RunModelExport & { name: string }) | null>(null);

  /** What a new run pretrains: a BERT encoder (MLM) or a GPT-2 decoder (causal LM). */
  objective = $state<PretrainObjective>('mlm');
  /** Size of the byte-level BPE trained on the dataset for a decoder run. */
  decoderVocabSize = $state(4000);
  decoderName = $state('my-lumina-decoder');
  readonly decoderExportJob = new JobState();

  constructor(private readonly tokenizer: TokenizerTrainState) {}

  /** The tokenizer.json (and tokenizer_config.json) a new run would use, or why there is none. */
  get tokenizerFiles(): { json: string; config: string | null; label: string } | string {
    if (this.tokenizerSource === 'decoder') {
      return this.objective === 'clm'
        ? {
            json: '',
            config: null,
            label: `byte-level BPE of ${this.decoderVocabSize} tokens trained on the dataset`,
          }
        : 'A tokenizer trained for the decoder only serves decoder runs; pick another.';
    }
    if (this.tokenizerSource === 'uploaded') {
      const up = this.uploadedTokenizer;
      return up ? { ...up, label: up.name } : 'Choose a tokenizer.json file.';
    }
    const files = this.tokenizer.result?.files;
    if (!files) return 'Train a tokenizer above first, or upload a tokenizer.json.';
    return {
      json: files['tokenizer.json'],
      config: files['tokenizer_config.json'],
      label: `trained ${this.tokenizer.type} (${this.tokenizer.result?.stats.vocabSize ?? '?'} tokens)`,
    };
  }

  /** Curves shown: the selected run first, then the compared ones. */
  get shownRunIds(): string[] {
    const ids = this.selectedRunId ? [this.selectedRunId] : [];
    for (const id of this.compareIds) if (!ids.includes(id)) ids.push(id);
    return ids;
  }

  get running(): boolean {
    return this.job.running;
  }

  async load(): Promise<void> {
    try {
      this.datasets = await (await pageStore()).listDatasets();
      if (!this.datasets.some((d) => d.id === this.datasetId))
        this.datasetId = this.datasets[0]?.id ?? null;
      this.webgpu ??= await probeWebGpu();
      await this.refreshRuns();
      this.loadError = null;
    } catch (error) {
      this.loadError = `Training runs could not be read: ${message(error)}`;
    }
  }

  /**
   * The backend a run will use: the config's, except WebGPU where it is missing, which is
   * replaced by wasm with a notice saying so (never silently).
   */
  backendFor(asked: TrainBackend): TrainBackend {
    if (asked !== 'webgpu' || !this.webgpu || this.webgpu.available) {
      this.backendNotice = null;
      return asked;
    }
    this.backendNotice = `WebGPU is not available: ${this.webgpu.reason}. Training uses WebAssembly (wasm) instead.`;
    return 'wasm';
  }

  async uploadTokenizer(files: readonly File[]): Promise<void> {
    const jsonFile = files.find(
      (f) => f.name.endsWith('.json') && f.name !== 'tokenizer_config.json',
    );
    if (!jsonFile) {
      this.job.error = 'Pick a tokenizer.json (optionally with its tokenizer_config.json).';
      return;
    }
    const json = await jsonFile.text();
    try {
      JSON.parse(json);
    } catch (error) {
      this.job.error = `${jsonFile.name} is not valid JSON: ${message(error)}`;
      return;
    }
    const configFile = files.find((f) => f.name === 'tokenizer_config.json');
    this.uploadedTokenizer = {
      name: jsonFile.name,
      json,
      config: configFile ? await configFile.text() : null,
    };
    this.tokenizerSource = 'uploaded';
    this.job.error = null;
  }

  /** Chooses what a new run pretrains; a decoder defaults to a BPE trained for it. */
  setObjective(objective: PretrainObjective): void {
    this.objective = objective;
    if (objective === 'clm' && this.tokenizerSource === 'trained') this.tokenizerSource = 'decoder';
    if (objective === 'mlm' && this.tokenizerSource === 'decoder') this.tokenizerSource = 'trained';
  }

  /** The selected run's kind, or null when none is selected. */
  get selectedKind(): PretrainObjective | null {
    return this.runs.find((run) => run.id === this.selectedRunId)?.kind ?? null;
  }

  /**
   * Starts a new run of `config` on the chosen dataset and tokenizer: an MLM encoder run, or a
   * causal-LM decoder run (the config's model section gives its sizes) as `objective` says.
   */
  async start(config: TrainConfig): Promise<void> {
    const datasetId = this.datasetId;
    const tokenizer = this.tokenizerFiles;
    if (this.running || !datasetId) return;
    if (typeof tokenizer === 'string') {
      this.job.error = tokenizer;
      return;
    }
    const runConfig = structuredClone(config);
    runConfig.data.dataset = datasetId;
    runConfig.data.corpus_files = [];
    runConfig.data.tokenizer = tokenizer.label;
    runConfig.training.backend = this.backendFor(config.training.backend);
    const runId = crypto.randomUUID();
    const common = { config: runConfig, corpus: { datasetId }, runId };
    const request: PretrainRequest =
      this.objective === 'clm'
        ? {
            objective: 'clm',
            run: {
              ...common,
              ...(this.tokenizerSource === 'decoder'
                ? { vocabSize: this.decoderVocabSize }
                : { tokenizerJson: tokenizer.json }),
            },
          }
        : {
            objective: 'mlm',
            run: {
              ...common,
              tokenizerJson: tokenizer.json,
              ...(tokenizer.config !== null ? { tokenizerConfig: tokenizer.config } : {}),
            },
          };
    await this.execute(runId, [], (api, signal, onProgress, onMetrics) =>
      api.startRun(request, signal, onProgress, onMetrics),
    );
  }

  /**
   * Saves the selected decoder run's newest checkpoint as a text-generation model in this
   * browser, where Explore → Ask lists it under "Models in this browser".
   */
  async useDecoderInAsk(): Promise<void> {
    const runId = this.selectedRunId;
    const name = this.decoderName.trim();
    if (!runId || !name || this.selectedKind !== 'clm') return;
    const result = await this.decoderExportJob.run(`Saving ${name}`, (signal) =>
      trainClient.call((api) => api.exportDecoderRun(runId, undefined, name, signal), signal),
    );
    if (result) {
      this.decoderExportJob.notice = `Saved ${name} (step ${result.step}) in this browser: in Explore → Ask, choose "Models in this browser" to answer with it.`;
    }
  }

  /** Continues a stopped or interrupted run from its newest checkpoint. */
  async resume(runId: string): Promise<void> {
    if (this.running) return;
    const summary = this.runs.find((run) => run.id === runId);
    if (summary?.backend === 'webgpu' && this.webgpu && !this.webgpu.available) {
      // The checkpoint names its backend; the worker never swaps it, so say so before starting.
      this.job.error = `This run trains on WebGPU, which is not available here: ${this.webgpu.reason}.`;
      return;
    }
    const history = await trainClient.call((api) => api.runMetrics(runId));
    const objective = summary?.kind ?? 'mlm';
    await this.execute(runId, history, (api, signal, onProgress, onMetrics) =>
      api.resumeRun(objective, runId, signal, onProgress, onMetrics),
    );
  }

  /** Runs `work` in the train worker as the run in progress, with its live metrics and Stop. */
  private async execute(
    runId: string,
    history: readonly MetricRow[],
    work: (
      api: Comlink.Remote<TrainApi>,
      signal: AbortSignal,
      onProgress: (event: Progress) => void,
      onMetrics: (rows: MetricRow[]) => void,
    ) => Promise<PretrainWorkerResult>,
  ): Promise<void> {
    this.activeRunId = runId;
    this.selectedRunId = runId;
    this.paused = false;
    this.stopping = false;
    this.activeBackend = null;
    this.metrics = { ...this.metrics, [runId]: mergeRows([], history) };
    const onMetrics = Comlink.proxy((rows: MetricRow[]) => {
      this.metrics = { ...this.metrics, [runId]: mergeRows(this.metrics[runId] ?? [], rows) };
    });
    const pending = this.job.run('Training', (signal, onProgress) =>
      trainClient.call((api) => work(api, signal, onProgress, onMetrics), signal, {
        hardCancelAfterMs: STOP_GRACE_MS,
      }),
    );
    // The run record is written before training starts: list it (and its status) right away;
    // new checkpoints show up while it runs.
    setTimeout(() => void this.refreshRuns(), 500);
    const poll = setInterval(() => {
      if (this.selectedRunId === runId) void this.loadCheckpoints();
    }, CHECKPOINT_POLL_MS);
    const result = await pending.finally(() => clearInterval(poll));
    this.activeRunId = null;
    this.paused = false;
    this.stopping = false;
    if (result) {
      this.activeBackend = `${result.backend.name} (${result.backend.detail})`;
      this.job.notice =
        result.status === 'stopped'
          ? `Stopped at step ${result.step} of ${result.totalSteps}; Resume continues it.`
          : `Finished at step ${result.step} (${result.status}) on ${result.backend.name}.`;
    }
    await this.refreshRuns();
    await this.loadCheckpoints();
  }

  async setPaused(value: boolean): Promise<void> {
    if (!this.running) return;
    await trainClient.call((api) => api.pauseRun(value));
    this.paused = value;
  }

  /** Stops after the step under way; the run keeps a final checkpoint and can be resumed. */
  stop(): void {
    if (!this.running) return;
    this.stopping = true;
    this.job.cancel();
  }

  async refreshRuns(): Promise<void> {
    try {
      const runs = await trainClient.call((api) => api.listRuns());
      const summaries: RunSummary[] = [];
      for (const run of runs.filter((r) => r.kind === 'mlm' || r.kind === 'clm')) {
        const checkpoints = await trainClient.call((api) => api.listCheckpoints(run.id));
        summaries.push(summaryOf(run, checkpoints, this.activeRunId));
      }
      this.runs = summaries.sort((a, b) => b.createdAt - a.createdAt);
      if (!this.selectedRunId && this.runs[0]) await this.select(this.runs[0].id);
    } catch (error) {
      this.loadError = `Training runs could not be read: ${message(error)}`;
    }
  }

  async select(runId: string): Promise<void> {
    this.selectedRunId = runId;
    this.exported = null;
    await this.ensureMetrics(runId);
    await this.loadCheckpoints();
  }

  async toggleCompare(runId: string, on: boolean): Promise<void> {
    this.compareIds = on
      ? [...this.compareIds.filter((id) => id !== runId), runId]
      : this.compareIds.filter((id) => id !== runId);
    if (on) await this.ensureMetrics(runId);
  }

  private async ensureMetrics(runId: string): Promise<void> {
    // The run in progress gets its rows live; a stored one is read once.
    if (this.metrics[runId] && runId === this.activeRunId) return;
    const rows = await trainClient.call((api) => api.runMetrics(runId));
    this.metrics = { ...this.metrics, [runId]: mergeRows([], rows) };
  }

  async loadCheckpoints(): Promise<void> {
    const runId = this.selectedRunId;
    if (!runId) {
      this.checkpoints = [];
      return;
    }
    const list = await trainClient.call((api) => api.listCheckpoints(runId));
    if (runId !== this.selectedRunId) return;
    this.checkpoints = list.map(({ runId: id, step, createdAt, reason }) => ({
      runId: id,
      step,
      createdAt,
      reason,
    }));
  }

  /** The selected run's metric rows as JSON Lines, one line per row. */
  downloadMetrics(): void {
    const runId = this.selectedRunId;
    if (!runId) return;
    const rows = this.metrics[runId] ?? [];
    downloadBlob(
      metricsJsonl(runId, rows),
      `metrics-${runId.slice(0, 8)}.jsonl`,
      'application/x-ndjson',
    );
  }

  /** Exports a checkpoint of the selected run into the browser's model store. */
  async exportModel(step: number): Promise<void> {
    const runId = this.selectedRunId;
    const name = this.exportName.trim();
    if (!runId || !name) return;
    const { exportPooling: pooling, exportNormalize: normalize } = this;
    const decoder = this.selectedKind === 'clm';
    const result = await this.exportJob.run(`Exporting ${name}`, (signal, onProgress) =>
      trainClient.call(
        (api) =>
          decoder
            ? api.exportDecoderRun(runId, step, name, signal)
            : api.exportRunModel(runId, step, name, pooling, normalize, signal, onProgress),
        signal,
      ),
    );
    if (result) {
      this.exported = { ...result, name };
      this.exportJob.notice = decoder
        ? `Saved ${name} (step ${result.step}) in this browser: in Explore → Ask, choose "Models in this browser" to answer with it.`
        : `Saved ${name} (${result.fileCount} files, step ${result.step}) in this browser: the Library's Embedding panel lists it under "Models in this browser".`;
    }
  }

  downloadExportedZip(): void {
    const exported = this.exported;
    if (exported) downloadBlob(exported.zip as BlobPart, exported.zipName, 'application/zip');
  }
}
