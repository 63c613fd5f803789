import * as Comlink from 'comlink';
import { DEFAULT_HUB_ENDPOINTS } from '../core/hub-datasets/index.ts';
import {
  downloadHubBase,
  FINE_TUNE_PRESETS,
  fineTunePreset,
  presetTraining,
  readLabelledPairs,
  readQaPairs,
  readScoredPairs,
  readTriplets,
  splitValidation,
  formatBadRows,
  type EvaluationSpec,
  type FineTuneBase,
  type FineTuneExamples,
  type FineTuneJobResult,
  type PairExample,
  type RankingExample,
} from '../core/finetune/index.ts';
import { listRunnableModels, storedModelFiles } from '../core/model/stored-models.ts';
import type { StoredModelSummary } from '../core/model/stored-models.ts';
import type { ProgressCallback } from '../core/progress.ts';
import type { MetricRow } from '../core/store/index.ts';
import type { TrainBackend } from '../core/train/config/types.ts';
import { trainClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import { JobState } from './job.svelte.ts';
import { pageStore } from './library.svelte.ts';

/** Grace period for Stop: the step under way and its evaluation finish, then the export. */
const STOP_GRACE_MS = 120_000;

export type BaseChoice =
  | { kind: 'stored'; id: string }
  | { kind: 'folder'; name: string; files: Map<string, Blob> }
  | { kind: 'hub'; id: string; revision: string };

/** The Hub endpoint the Library's Hub import saved (a local stand-in in tests), else the Hub. */
function savedHubUrl(): string {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem('lumina.hub.endpoints') ?? 'null');
    if (parsed && typeof parsed === 'object' && 'hubUrl' in parsed) {
      if (typeof parsed.hubUrl === 'string' && parsed.hubUrl) return parsed.hubUrl;
    }
  } catch {
    // A corrupt or blocked setting means the default, as for a first visit.
  }
  return DEFAULT_HUB_ENDPOINTS.hubUrl;
}

/** Column names for the data file; empty means the reader's defaults. */
export interface FieldMapping {
  first: string;
  second: string;
  third: string;
}

async function jsonOf(files: ReadonlyMap<string, Blob>, name: string): Promise<unknown> {
  const file = files.get(name);
  return file ? (JSON.parse(await file.text()) as unknown) : undefined;
}

/** Downloaded bytes as the Blobs a picked folder gives; read once, never changed. */
function asBlobs(files: ReadonlyMap<string, Uint8Array>): ReadonlyMap<string, Blob> {
  const blobs: [string, Blob][] = [...files].map(([name, bytes]) => [
    name,
    new Blob([bytes as BlobPart]),
  ]);
  return new Map(blobs);
}

/** The base model's files as fineTune reads them. */
export async function baseFromFiles(files: ReadonlyMap<string, Blob>): Promise<FineTuneBase> {
  const weights = files.get('model.safetensors');
  if (!weights) throw new Error('The base model has no model.safetensors (needed for training)');
  const config = await jsonOf(files, 'config.json');
  const tokenizer = await jsonOf(files, 'tokenizer.json');
  if (typeof config !== 'object' || config === null) throw new Error('No config.json');
  if (tokenizer === undefined) throw new Error('No tokenizer.json');
  const tokenizerConfig = await jsonOf(files, 'tokenizer_config.json');
  return {
    config: config as Record<string, unknown>,
    safetensors: new Uint8Array(await weights.arrayBuffer()),
    tokenizer,
    ...(tokenizerConfig === undefined ? {} : { tokenizerConfig }),
  };
}

/** The Fine-tune panel: base model, data, loss and hyper-parameters, live run, export. */
export class FineTuneState {
  readonly job = new JobState();
  models = $state<StoredModelSummary[]>([]);
  base = $state<BaseChoice | null>(null);
  /** Where a Hub base model is downloaded from. */
  hubUrl = $state(savedHubUrl());
  hubId = $state('');
  hubRevision = $state('main');
  presetId = $state(FINE_TUNE_PRESETS[0]?.id ?? 'mnrl-qa');
  dataName = $state('');
  dataText = $state('');
  fields = $state<FieldMapping>({ first: '', second: '', third: '' });
  learningRate = $state(2e-5);
  batchSize = $state(32);
  epochs = $state(1);
  maxSteps = $state<number | null>(null);
  validationFraction = $state(0.1);
  backend = $state<TrainBackend>('webgpu');
  name = $state('finetuned-model');
  rows = $state<MetricRow[]>([]);
  result = $state<FineTuneJobResult | null>(null);
  badRows = $state('');

  get preset() {
    return fineTunePreset(this.presetId);
  }

  async refreshModels(): Promise<void> {
    this.models = await listRunnableModels(await pageStore());
  }

  /** Applies a preset's hyper-parameters to the form. */
  choosePreset(id: string): void {
    this.presetId = id;
    const training = presetTraining(fineTunePreset(id));
    this.learningRate = training.learning_rate;
    this.batchSize = training.batch_size;
    this.epochs = training.epochs;
    this.maxSteps = training.max_steps;
  }

  /** The typed Hub id as the base model (downloaded when the run starts); empty clears it. */
  chooseHub(): void {
    const id = this.hubId.trim();
    this.base = id ? { kind: 'hub', id, revision: this.hubRevision.trim() || 'main' } : null;
  }

  async setDataFile(file: File): Promise<void> {
    this.dataName = file.name;
    this.dataText = await file.text();
  }

  private async readExamples(): Promise<FineTuneExamples> {
    const options = { file: this.dataName || 'data' };
    const { first, second, third } = this.fields;
    const named = (value: string) => (value.trim() ? value.trim() : undefined);
    const pick = <T extends object>(entries: [keyof T, string][]): Partial<T> =>
      Object.fromEntries(
        entries.filter(([, v]) => named(v) !== undefined).map(([k, v]) => [k, v.trim()]),
      ) as Partial<T>;
    let read;
    switch (this.preset.data) {
      case 'qa':
        read = await readQaPairs(this.dataText, {
          ...options,
          ...pick<{ questionField: string; answerField: string }>([
            ['questionField', first],
            ['answerField', second],
          ]),
        });
        break;
      case 'triplets':
        read = await readTriplets(this.dataText, {
          ...options,
          ...pick<{ anchor: string; positive: string; negative: string }>([
            ['anchor', first],
            ['positive', second],
            ['negative', third],
          ]),
        });
        break;
      case 'scored':
      case 'labelled': {
        const columns = pick<{ text1: string; text2: string; target: string }>([
          ['text1', first],
          ['text2', second],
          ['target', third],
        ]);
        read =
          this.preset.data === 'scored'
            ? await readScoredPairs(this.dataText, { ...options, ...columns })
            : await readLabelledPairs(this.dataText, { ...options, ...columns });
        break;
      }
    }
    this.badRows = formatBadRows(read.badRows);
    if (read.examples.length < 2) throw new Error('The data file has fewer than two usable rows');
    return read.examples as FineTuneExamples;
  }

  private async baseFiles(
    signal: AbortSignal,
    onProgress: ProgressCallback,
  ): Promise<{ files: ReadonlyMap<string, Blob>; name: string }> {
    const base = this.base;
    if (!base) throw new Error('Choose a base model');
    if (base.kind === 'folder') return { files: base.files, name: base.name };
    if (base.kind === 'hub') {
      const downloaded = await downloadHubBase(base.id, {
        hubUrl: this.hubUrl,
        revision: base.revision,
        signal,
        onProgress,
      });
      return { files: asBlobs(downloaded), name: base.id };
    }
    const store = await pageStore();
    const name = this.models.find((m) => m.id === base.id)?.name ?? base.id;
    return { files: await storedModelFiles(store, base.id), name };
  }

  async start(): Promise<void> {
    this.rows = [];
    this.result = null;
    const onMetrics = Comlink.proxy((rows: MetricRow[]) => {
      this.rows = [...this.rows, ...rows];
    });
    const result = await this.job.run('Fine-tuning', async (signal, onProgress) => {
      // The download shows as the first part of the job's progress.
      const { files } = await this.baseFiles(signal, onProgress);
      const base = await baseFromFiles(files);
      const examples = await this.readExamples();
      const { train, validation } = splitValidation<RankingExample | PairExample>(examples, {
        fraction: this.validationFraction,
        seed: 42,
      });
      const preset = this.preset;
      const evaluation: EvaluationSpec =
        preset.data === 'qa' || preset.data === 'triplets'
          ? { kind: 'retrieval', examples: validation as RankingExample[] }
          : preset.data === 'scored'
            ? { kind: 'similarity', pairs: validation as PairExample[] }
            : { kind: 'binary', pairs: validation as PairExample[] };
      const training = presetTraining(preset, {
        learning_rate: this.learningRate,
        batch_size: this.batchSize,
        epochs: this.epochs,
        max_steps: this.maxSteps,
        backend: this.backend,
        log_every_steps: 1,
      });
      return trainClient.call(
        (api) =>
          api.fineTune(
            {
              base,
              name: this.name.trim() || 'finetuned-model',
              train: train as FineTuneExamples,
              evaluation,
              loss: preset.loss,
              pooling: preset.pooling,
              training,
              maxLength: 128,
            },
            signal,
            onProgress,
            onMetrics,
          ),
        signal,
        { hardCancelAfterMs: STOP_GRACE_MS },
      );
    });
    if (result) {
      this.result = result;
      this.job.notice =
        `${result.status === 'stopped' ? 'Stopped' : 'Finished'} at step ${result.step} of ` +
        `${result.totalSteps}; the model is saved in this browser's models.`;
      await this.refreshModels();
    }
  }

  stop(): void {
    this.job.cancel();
  }

  downloadZip(): void {
    if (this.result)
      downloadBlob(this.result.zip as BlobPart, this.result.zipName, 'application/zip');
  }
}
