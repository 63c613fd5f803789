import { isAbortError } from '../core/abort.ts';
import {
  DEFAULT_HUB_ENDPOINTS,
  describeHubSplit,
  lookUpHubDataset,
  type HubAccess,
  type HubDatasetInfo,
  type HubEndpoints,
  type HubSplit,
  type HubSplitSchema,
} from '../core/hub-datasets/index.ts';
import { prepareClient } from '../lib/clients.ts';
import type { LibraryState } from './library.svelte.ts';

const ENDPOINTS_KEY = 'lumina.hub.endpoints';

function savedEndpoints(): HubEndpoints {
  try {
    const raw = localStorage.getItem(ENDPOINTS_KEY);
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    if (
      parsed &&
      typeof parsed === 'object' &&
      'viewerUrl' in parsed &&
      'hubUrl' in parsed &&
      typeof parsed.viewerUrl === 'string' &&
      typeof parsed.hubUrl === 'string'
    ) {
      return { viewerUrl: parsed.viewerUrl, hubUrl: parsed.hubUrl };
    }
  } catch {
    // A corrupt or blocked setting means the defaults, as for a first visit.
  }
  return { ...DEFAULT_HUB_ENDPOINTS };
}

const splitKey = (s: HubSplit) => `${s.config}/${s.split}`;

/**
 * The "From Hugging Face" import: look a dataset up (on this thread: a few small requests), pick a
 * split and columns, then import in the prepare worker through the Library's job (progress, cancel,
 * outcome). The token lives in memory only; the endpoints persist so tests can use a stand-in.
 */
export class HubImportState {
  datasetId = $state('');
  endpoints = $state<HubEndpoints>(savedEndpoints());
  token = $state('');
  info = $state.raw<HubDatasetInfo | null>(null);
  splitChoice = $state('');
  schema = $state.raw<HubSplitSchema | null>(null);
  textColumn = $state('');
  idColumn = $state('');
  limit = $state(1000);
  lookingUp = $state(false);
  error = $state<string | null>(null);
  private lookup: AbortController | null = null;

  split = $derived(this.info?.splits.find((s) => splitKey(s) === this.splitChoice) ?? null);

  constructor(private readonly library: LibraryState) {}

  private access(signal?: AbortSignal): HubAccess {
    return {
      endpoints: $state.snapshot(this.endpoints),
      ...(this.token.trim() ? { token: this.token.trim() } : {}),
      ...(signal ? { signal } : {}),
    };
  }

  /** Null when the network may be there; otherwise why nothing is tried. */
  private offlineReason(): string | null {
    return navigator.onLine === false
      ? 'This browser is offline: importing from Hugging Face needs the network. Files and pasted text still work.'
      : null;
  }

  saveEndpoints(): void {
    localStorage.setItem(ENDPOINTS_KEY, JSON.stringify($state.snapshot(this.endpoints)));
  }

  resetEndpoints(): void {
    this.endpoints = { ...DEFAULT_HUB_ENDPOINTS };
    localStorage.removeItem(ENDPOINTS_KEY);
  }

  private async run(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
    this.lookup?.abort();
    const controller = new AbortController();
    this.lookup = controller;
    this.lookingUp = true;
    this.error = this.offlineReason();
    if (this.error) {
      this.lookingUp = false;
      return;
    }
    try {
      await work(controller.signal);
    } catch (error) {
      if (!isAbortError(error)) this.error = error instanceof Error ? error.message : String(error);
    } finally {
      if (this.lookup === controller) {
        this.lookup = null;
        this.lookingUp = false;
      }
    }
  }

  async lookUp(): Promise<void> {
    this.info = null;
    this.schema = null;
    await this.run(async (signal) => {
      const info = await lookUpHubDataset(this.datasetId, this.access(signal));
      this.info = info;
      const first = info.splits.find((s) => s.split === 'train') ?? info.splits[0];
      this.splitChoice = first ? splitKey(first) : '';
      await this.describe(signal);
    });
  }

  async chooseSplit(key: string): Promise<void> {
    this.splitChoice = key;
    this.schema = null;
    await this.run((signal) => this.describe(signal));
  }

  private async describe(signal: AbortSignal): Promise<void> {
    const split = this.split;
    if (!split || !this.info) return;
    const schema = await describeHubSplit(
      split,
      `${this.info.dataset} (${splitKey(split)})`,
      this.access(signal),
    );
    this.schema = schema;
    this.textColumn = schema.suggestedText ?? '';
    this.idColumn = schema.suggestedId ?? '';
  }

  cancelLookUp(): void {
    this.lookup?.abort();
  }

  async import(): Promise<void> {
    const split = this.split;
    const info = this.info;
    if (!split || !info || !this.textColumn) return;
    this.error = this.offlineReason();
    if (this.error) return;
    const library = this.library;
    if (!library.selectedId) await library.createDataset(info.dataset);
    const datasetId = library.selectedId;
    if (!datasetId) return;
    const request = {
      dataset: info.dataset,
      config: split.config,
      split: split.split,
      textColumn: this.textColumn,
      idColumn: this.idColumn || null,
      limit: Math.max(1, Math.floor(this.limit)),
    };
    const hub = {
      endpoints: $state.snapshot(this.endpoints),
      ...(this.token.trim() ? { token: this.token.trim() } : {}),
    };
    const result = await library.job.run(
      `Importing ${info.dataset} ${splitKey(split)}`,
      (signal, onProgress) =>
        prepareClient.call(
          (api) => api.importHubDataset(datasetId, request, hub, signal, onProgress),
          signal,
        ),
    );
    if (result) {
      library.outcomes = result.files;
      library.job.notice = `Added ${result.documentsAdded} document(s) from ${result.rowsRead} row(s) of ${info.dataset} (${splitKey(split)})${
        result.alreadyPresent ? `; ${result.alreadyPresent} were already here` : ''
      }; ${(result.bytesDownloaded / 1024).toFixed(0)} KB downloaded.`;
    }
    await library.load();
  }
}
