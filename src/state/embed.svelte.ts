import * as Comlink from 'comlink';
import { isAbortError } from '../core/abort.ts';
import { BUNDLE_EXTENSION } from '../core/bundle/format.ts';
import type { DeviceChoice, DevicePreference, WebGpuStatus } from '../core/embed/device/index.ts';
import { EMBED_JOB_KIND, readEmbedCursor, type EmbedProgress } from '../core/embed/job/index.ts';
import {
  DEFAULT_HUB_MODEL,
  type EmbedDtype,
  type EmbeddingOptions,
  type ModelSource,
  type Pooling,
} from '../core/embed/runtime/index.ts';
import {
  listRunnableModels,
  storedModelFiles,
  type StoredModelSummary,
} from '../core/model/stored-models.ts';
import type { Progress } from '../core/progress.ts';
import type { SelectionRequest } from '../core/bundle/index.ts';
import type { ChunkHit, SearchFilter } from '../core/search/index.ts';
import type { SplitName } from '../core/types.ts';
import type { JobState as StoredJobState } from '../core/store/index.ts';
import { embedClient, indexClient, prepareClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import { shareOrDownload } from '../lib/launch-files.ts';
import { folderFiles } from '../lib/model-folder.ts';
import { runSystemCheck } from '../lib/system-check.ts';
import type { PrepareApi } from '../../workers/prepare.worker.ts';
import { pageStore, type LibraryState } from './library.svelte.ts';
import { parseMetadataFilter } from './search.svelte.ts';
import { appVersion } from './system.svelte.ts';

export type ModelKind = 'folder' | 'served' | 'hub' | 'stored';

/** A job of this dataset that a closed tab, a pause or an error left unfinished. */
export interface UnfinishedJob {
  setId: string;
  modelId: string;
  state: StoredJobState;
  done: number;
  total: number;
  error?: string;
}

/** Live numbers of the running job, from its progress events. */
export interface EmbedStats {
  done: number;
  total: number;
  fraction: number;
  tokensPerSecond: number;
  etaSeconds: number | undefined;
  batchSize: number;
  device: string;
}

const UNFINISHED: ReadonlySet<StoredJobState> = new Set(['pending', 'running', 'paused', 'failed']);
const SAMPLE_TEXTS = 16;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The embedding panel: model and device choice, the resumable job, and the first search. */
export class EmbedState {
  modelKind = $state<ModelKind>('hub');
  hubId = $state(DEFAULT_HUB_MODEL);
  folder = $state.raw<{ name: string; files: Map<string, File> } | null>(null);
  served = $state<string[]>([]);
  servedName = $state('');
  /** Runnable models kept in this browser (imported folders and zips). */
  stored = $state.raw<StoredModelSummary[]>([]);
  storedModel = $state.raw<{ id: string; name: string; files: Map<string, Blob> } | null>(null);
  /** What the model import or zip download is doing, while it runs. */
  modelBusy = $state<string | null>(null);
  devicePreference = $state<DevicePreference>('wasm');
  deviceChoice = $state<DeviceChoice | null>(null);
  choosingDevice = $state(false);
  pooling = $state<Pooling | 'default'>('default');
  normalize = $state(true);
  maxTokens = $state(256);
  dtype = $state<EmbedDtype>('fp32');
  /** Matryoshka: keep the first N dimensions; empty keeps them all. */
  dims = $state<number | null>(null);
  /** Empty: the model's own prompts (config_sentence_transformers.json), if any. */
  queryPrefix = $state('');
  documentPrefix = $state('');
  tokenBudget = $state(4096);

  running = $state(false);
  stats = $state<EmbedStats | null>(null);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  unfinished = $state<UnfinishedJob | null>(null);
  doneSets = $state<string[]>([]);

  searchSet = $state('');
  query = $state('');
  hits = $state.raw<ChunkHit[]>([]);
  searching = $state(false);

  /** The set being exported as a bundle, and how far along. */
  exporting = $state<string | null>(null);
  exportFraction = $state(0);
  /** Optional filter of the export, in the search view's terms: split, sources, field=value lines. */
  exportSplit = $state<'' | SplitName>('');
  exportSources = $state('');
  exportMetadata = $state('');

  private controller: AbortController | null = null;
  private generation = 0;
  /** Set while Cancel stops the job, so the stop is not announced as a pause. */
  private cancelling = false;

  constructor(private readonly library: LibraryState) {
    // Semantic chunking in the Chunk panel embeds with the model chosen here.
    library.embedModel = this;
  }

  /** Name of the chosen model; also the id of the embedding set it writes. */
  get modelName(): string {
    if (this.modelKind === 'hub') return this.hubId.trim();
    if (this.modelKind === 'served') return this.servedName;
    if (this.modelKind === 'stored') return this.storedModel?.name ?? '';
    return this.folder?.name ?? '';
  }

  source(): ModelSource | null {
    if (this.modelKind === 'hub')
      return this.hubId.trim() ? { kind: 'hub', id: this.hubId.trim() } : null;
    if (this.modelKind === 'served')
      return this.servedName
        ? { kind: 'url', name: this.servedName, baseUrl: `/models/${this.servedName}/` }
        : null;
    if (this.modelKind === 'stored')
      return this.storedModel
        ? { kind: 'files', files: this.storedModel.files, name: this.storedModel.name }
        : null;
    return this.folder ? { kind: 'files', files: this.folder.files, name: this.folder.name } : null;
  }

  options(device?: DeviceChoice['device']): EmbeddingOptions {
    return {
      dtype: this.dtype,
      normalize: this.normalize,
      maxTokens: this.maxTokens,
      ...(this.pooling === 'default' ? {} : { pooling: this.pooling }),
      ...(this.dims ? { dims: this.dims } : {}),
      ...(this.queryPrefix ? { queryPrefix: this.queryPrefix } : {}),
      ...(this.documentPrefix ? { documentPrefix: this.documentPrefix } : {}),
      ...(device ? { device } : {}),
    };
  }

  pickFolder(files: readonly File[]): void {
    const picked = folderFiles(files);
    this.folder = picked.files.size ? picked : null;
    this.deviceChoice = null;
    if (this.folder && !this.folder.files.has('onnx/model.onnx'))
      this.error = `${picked.name} has no onnx/model.onnx: pick a Hugging Face model folder with an ONNX export.`;
    else this.error = null;
  }

  /** Models kept in this browser that can run; keeps the chosen one if it is still there. */
  async discoverStored(): Promise<void> {
    this.stored = await listRunnableModels(await pageStore());
    const keep = this.stored.find((model) => model.id === this.storedModel?.id);
    const first = this.stored.at(-1);
    if (!keep && first) await this.selectStored(first.id);
    else if (!keep) this.storedModel = null;
  }

  /** Reads the stored model's files (Blobs, read lazily) so it embeds like a picked folder. */
  async selectStored(id: string): Promise<void> {
    const summary = this.stored.find((model) => model.id === id);
    if (!summary) return;
    this.deviceChoice = null;
    try {
      const files = await storedModelFiles(await pageStore(), id);
      this.storedModel = { id, name: summary.name, files };
      this.error = null;
    } catch (error) {
      this.storedModel = null;
      this.error = `Could not read the stored model: ${message(error)}`;
    }
  }

  /** Keeps a model zip (checked as untrusted input) in this browser and chooses it. */
  importModelZip(file: File): Promise<void> {
    const name = file.name.replace(/\.zip$/i, '') || 'model';
    return this.importModel(name, (api) => api.importModelZip(file, name));
  }

  /** Keeps a picked model folder in this browser and chooses it. */
  importModelFolder(files: readonly File[]): Promise<void> {
    const folder = folderFiles(files);
    return this.importModel(folder.name, (api) => api.importModelFiles(folder.files, folder.name));
  }

  private async importModel(
    name: string,
    run: (api: Comlink.Remote<PrepareApi>) => Promise<string>,
  ): Promise<void> {
    if (this.modelBusy) return;
    this.error = null;
    this.notice = null;
    this.modelBusy = `Importing ${name}…`;
    try {
      const id = await prepareClient.call(run);
      this.modelKind = 'stored';
      this.stored = await listRunnableModels(await pageStore());
      await this.selectStored(id);
      this.notice = `Imported the model ${name}; it is kept in this browser.`;
    } catch (error) {
      this.error = `Model import failed: ${message(error)}`;
    } finally {
      this.modelBusy = null;
    }
  }

  /** Downloads the chosen stored model or picked folder as a zip in the Hugging Face layout. */
  async downloadModelZip(): Promise<void> {
    const stored = this.modelKind === 'stored' ? this.storedModel : null;
    const folder = this.modelKind === 'folder' ? this.folder : null;
    if (this.modelBusy || (!stored && !folder)) return;
    const name = stored?.name ?? folder?.name ?? 'model';
    this.error = null;
    this.notice = null;
    this.modelBusy = `Zipping ${name}…`;
    try {
      const model = stored ? stored.id : folder ? { files: folder.files, name } : null;
      if (!model) return;
      const { bytes, fileName } = await prepareClient.call((api) => api.modelZip(model));
      downloadBlob(bytes as Uint8Array<ArrayBuffer>, fileName, 'application/zip');
      this.notice = `Downloaded ${name} as ${fileName}.`;
    } catch (error) {
      this.error = `Model download failed: ${message(error)}`;
    } finally {
      this.modelBusy = null;
    }
  }

  /** Served model folders (dev and tests) that can run, i.e. have an ONNX export. */
  async discoverServed(): Promise<void> {
    try {
      const response = await fetch('/models/index.json');
      if (!response.ok) return;
      const { models } = (await response.json()) as { models: string[] };
      const runnable: string[] = [];
      for (const name of models) {
        if (await servedFileAvailable(`/models/${name}/onnx/model.onnx`)) runnable.push(name);
      }
      this.served = runnable;
      if (!this.servedName && runnable[0]) this.servedName = runnable[0];
    } catch {
      // No model folder is served: the Hub and picked folders remain.
    }
  }

  /** Reads the dataset's embed jobs: an unfinished one to resume, finished sets to search. */
  async refresh(): Promise<void> {
    const datasetId = this.library.selectedId;
    this.unfinished = null;
    this.doneSets = [];
    this.hits = [];
    if (!datasetId) return;
    const jobs = (await (await pageStore()).listJobs(datasetId)).filter(
      (job) => job.kind === EMBED_JOB_KIND,
    );
    const done: string[] = [];
    for (const job of jobs) {
      const cursor = readEmbedCursor(job);
      if (job.state === 'done') done.push(cursor.setId);
      else if (UNFINISHED.has(job.state))
        this.unfinished = {
          setId: cursor.setId,
          modelId: cursor.modelId,
          state: job.state,
          done: cursor.rows,
          total: cursor.total,
          ...(job.error ? { error: job.error } : {}),
        };
    }
    this.doneSets = done;
    if (!done.includes(this.searchSet)) this.searchSet = done[0] ?? '';
  }

  /** Where an Auto measurement for this model and dtype is remembered in this browser. */
  private get choiceKey(): string {
    return `lumina.device-choice:${this.modelName}:${this.dtype}`;
  }

  private rememberedChoice(): DeviceChoice | undefined {
    try {
      const saved = localStorage.getItem(this.choiceKey);
      return saved ? (JSON.parse(saved) as DeviceChoice) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Auto: measures both devices on ~16 of the dataset's chunks, once per model (the result is
   * remembered; `remeasure` measures again); a forced device is taken as is.
   */
  async chooseDevice(signal?: AbortSignal, remeasure = false): Promise<DeviceChoice | null> {
    const datasetId = this.library.selectedId;
    const source = this.source();
    if (!datasetId || !source) {
      this.error = 'Choose a model first.';
      return null;
    }
    this.choosingDevice = true;
    try {
      const sample = (await (await pageStore()).listChunksAfter(datasetId, undefined, SAMPLE_TEXTS))
        .map((chunk) => chunk.text)
        .filter((text) => text.trim());
      const report = await runSystemCheck('');
      const webgpu: WebGpuStatus = {
        available: report.gpu !== null,
        isFallbackAdapter: report.gpu?.isFallbackAdapter ?? false,
        ...(report.gpuError ? { reason: report.gpuError } : {}),
      };
      const preference = $state.snapshot(this.devicePreference);
      const options = this.options();
      const remembered = remeasure ? undefined : this.rememberedChoice();
      const choice = await embedClient.call(
        (api) => api.chooseDevice(source, options, preference, sample, webgpu, remembered, signal),
        signal,
      );
      this.deviceChoice = choice;
      const measuredNow = !choice.forced && choice.decidedAt !== remembered?.decidedAt;
      if (measuredNow) localStorage.setItem(this.choiceKey, JSON.stringify(choice));
      return choice;
    } catch (error) {
      if (!isAbortError(error)) this.error = `Could not choose a device: ${message(error)}`;
      return null;
    } finally {
      this.choosingDevice = false;
    }
  }

  start(): Promise<void> {
    return this.run(false);
  }

  resume(): Promise<void> {
    return this.run(true);
  }

  /** Stops the running job; it stays stored as paused and can be resumed. */
  pause(): void {
    this.controller?.abort();
  }

  /** Stops and discards the job with its partial vectors. */
  async cancel(): Promise<void> {
    const datasetId = this.library.selectedId;
    const setId = this.unfinished?.setId ?? this.modelName;
    if (!datasetId || !setId) return;
    this.cancelling = true;
    this.controller?.abort();
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 50));
    this.cancelling = false;
    try {
      await embedClient.call((api) => api.cancelEmbedJob(datasetId, setId));
      await indexClient.call((api) => api.invalidate(datasetId, setId));
      this.notice = 'Embedding cancelled; its partial vectors were deleted.';
      this.stats = null;
    } catch (error) {
      this.error = `Could not cancel: ${message(error)}`;
    }
    await this.refresh();
  }

  private async run(resume: boolean): Promise<void> {
    const datasetId = this.library.selectedId;
    const source = this.source();
    if (this.running || !datasetId) return;
    if (!source) {
      this.error =
        this.modelKind === 'folder'
          ? 'Pick the model folder first (a Hugging Face folder with onnx/model.onnx).'
          : 'Choose a model first.';
      return;
    }
    const setId = resume && this.unfinished ? this.unfinished.setId : this.modelName;
    this.error = null;
    this.notice = null;
    this.running = true;
    this.stats = null;
    this.controller = new AbortController();
    const signal = this.controller.signal;
    const generation = ++this.generation;
    try {
      const choice =
        this.devicePreference === 'auto' && this.deviceChoice
          ? this.deviceChoice
          : await this.chooseDevice(signal);
      if (!choice) return;
      const options = this.options(choice.device);
      const jobOptions = { setId, tokenBudget: this.tokenBudget, resume };
      const onProgress = Comlink.proxy((event: EmbedProgress) => {
        if (generation === this.generation && this.running) this.record(event);
      });
      const result = await embedClient.call(
        (api) => api.embedDataset(datasetId, source, options, jobOptions, signal, onProgress),
        signal,
      );
      await indexClient.call((api) => api.invalidate(datasetId, result.setId));
      const missing = result.missingDocuments.length;
      this.notice =
        `Embedded ${result.chunks} chunks on ${result.device} (${result.dims} dims)` +
        (missing ? `; ${missing} document(s) have no chunk and no average.` : '.');
      this.searchSet = result.setId;
    } catch (error) {
      if (isAbortError(error)) {
        if (!this.cancelling) this.notice = 'Embedding paused: Resume continues where it stopped.';
      } else this.error = this.explain(error);
    } finally {
      this.running = false;
      this.controller = null;
      await this.refresh().catch(() => undefined);
    }
  }

  /** Model load failures already say why and what to do; others get the job's context. */
  private explain(error: unknown): string {
    const text = message(error);
    if (error instanceof Error && error.name === 'ModelLoadError')
      return `The model could not be loaded: ${text}`;
    return `Embedding failed: ${text}`;
  }

  private record(event: EmbedProgress): void {
    const previous = this.stats;
    const fraction = Math.max(previous?.fraction ?? 0, event.fraction);
    const done = Math.max(previous?.done ?? 0, event.done);
    this.stats = {
      done,
      total: event.total,
      fraction,
      device: event.device,
      tokensPerSecond:
        event.status === 'progress' ? event.tokensPerSecond : (previous?.tokensPerSecond ?? 0),
      etaSeconds: event.status === 'progress' ? event.etaSeconds : previous?.etaSeconds,
      batchSize: event.status === 'progress' ? event.batchSize : (previous?.batchSize ?? 0),
    };
  }

  /** Embeds the query with the set's model and returns the top-k chunks by cosine. */
  async search(k = 10): Promise<void> {
    const datasetId = this.library.selectedId;
    const source = this.source();
    const setId = this.searchSet;
    const query = this.query.trim();
    if (!datasetId || !setId || !query) return;
    if (!source || this.modelName !== setId) {
      this.error = `Choose the model ${setId} to search its embeddings.`;
      return;
    }
    this.searching = true;
    this.error = null;
    try {
      const options = this.options(this.deviceChoice?.device ?? 'wasm');
      const vector = await embedClient.call(async (api) => {
        await api.use(source, options);
        return api.embed([query], 'query');
      });
      this.hits = await indexClient.call((api) =>
        api.search(datasetId, setId, Comlink.transfer(vector, [vector.buffer]), k),
      );
    } catch (error) {
      this.error = `Search failed: ${message(error)}`;
    } finally {
      this.searching = false;
    }
  }

  /**
   * Writes a finished set as a Lumina bundle in the prepare worker, then downloads it, or with
   * `share` hands it to the Web Share API where the browser can share files (else downloads).
   */
  async exportBundle(setId: string, how: 'download' | 'share' = 'download'): Promise<void> {
    const datasetId = this.library.selectedId;
    if (!datasetId || this.exporting) return;
    const name = (this.library.selected?.name ?? 'dataset').replace(/[\\/:*?"<>|]+/g, '_');
    this.exporting = setId;
    this.exportFraction = 0;
    this.error = null;
    this.notice = null;
    try {
      const onProgress = Comlink.proxy((event: Progress) => {
        this.exportFraction = Math.max(this.exportFraction, event.fraction);
      });
      const filter = this.exportFilter();
      const selection: SelectionRequest | undefined = filter
        ? { kind: 'filter', filter }
        : undefined;
      const bytes = await prepareClient.call((api) =>
        api.exportBundle(datasetId, setId, appVersion, undefined, onProgress, selection),
      );
      const fileName = `${name}${filter ? '-filtered-selection' : ''}${BUNDLE_EXTENSION}`;
      const download = () =>
        downloadBlob(bytes as Uint8Array<ArrayBuffer>, fileName, 'application/zip');
      let outcome: Awaited<ReturnType<typeof shareOrDownload>> = 'downloaded';
      if (how === 'share') {
        const file = new File([bytes as Uint8Array<ArrayBuffer>], fileName, {
          type: 'application/zip',
        });
        outcome = await shareOrDownload(file, download);
      } else {
        download();
      }
      this.notice =
        outcome === 'shared'
          ? `Shared ${setId} as ${fileName}.`
          : outcome === 'cancelled'
            ? 'Sharing cancelled.'
            : `Exported ${setId} as ${fileName}${how === 'share' ? ' (this browser cannot share files, so it was downloaded)' : ''}.`;
    } catch (error) {
      this.error = `Export failed: ${message(error)}`;
    } finally {
      this.exporting = null;
    }
  }

  /** The export's filter, or undefined to export the whole set; throws on a bad metadata line. */
  exportFilter(): SearchFilter | undefined {
    const sources = this.exportSources
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const { metadata, problems } = parseMetadataFilter(this.exportMetadata);
    if (problems.length) throw new Error(problems.join(' '));
    if (this.exportSplit) (metadata['split'] ??= []).push(this.exportSplit);
    const filter: SearchFilter = {
      ...(sources.length ? { sources } : {}),
      ...(Object.keys(metadata).length ? { metadata } : {}),
    };
    return Object.keys(filter).length ? filter : undefined;
  }

  async openHit(hit: ChunkHit): Promise<void> {
    if (hit.chunk) await this.library.openDocument(hit.chunk.docId, hit.chunk.index);
  }
}

/**
 * Whether a served model file can be loaded: a HEAD request online; offline (HEAD is never
 * cached by the service worker) whether a cache holds it from an earlier visit.
 */
async function servedFileAvailable(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { method: 'HEAD' });
    if (response.ok) return true;
  } catch {
    // Offline or unreachable: look in the caches below.
  }
  return 'caches' in globalThis && (await caches.match(url)) !== undefined;
}
