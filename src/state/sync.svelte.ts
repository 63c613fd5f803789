import * as Comlink from 'comlink';
import { isAbortError } from '../core/abort.ts';
import type { Progress } from '../core/progress.ts';
import { defaultNamespace, type PineconeMetric, type SyncConfig } from '../core/sync/config.ts';
import { redact } from '../core/sync/errors.ts';
import type { SyncCounts, SyncResult, SyncStatus } from '../core/sync/sync-dataset.ts';
import { syncClient } from '../lib/clients.ts';

/** Pinecone settings of one dataset, as kept in this browser; the API key is kept apart. */
export interface PineconeSettings {
  indexName: string;
  /** Empty: the dataset's own namespace (`lumina-<datasetId>`). */
  namespace: string;
  cloud: string;
  region: string;
  metric: PineconeMetric;
  /** Control-plane URL of the local emulator; empty for Pinecone itself. */
  controllerHostUrl: string;
}

/**
 * The key lives in this origin's localStorage only. It is read when a request is made and handed
 * to the sync worker per call; it is never put in IndexedDB, URLs, exports or messages.
 */
const API_KEY_ITEM = 'lumina.pinecone.apiKey';
const settingsItem = (datasetId: string): string => `lumina.pinecone.settings:${datasetId}`;

export const DEFAULT_SETTINGS: PineconeSettings = {
  indexName: 'lumina',
  namespace: '',
  cloud: 'aws',
  region: 'us-east-1',
  metric: 'cosine',
  controllerHostUrl: '',
};

function storage(): Storage | null {
  try {
    return globalThis.localStorage;
  } catch {
    return null;
  }
}

export function readApiKey(): string {
  return storage()?.getItem(API_KEY_ITEM) ?? '';
}

/** The dataset's saved settings, or null when it was never set up for Pinecone. */
export function loadPineconeSettings(datasetId: string): PineconeSettings | null {
  const raw = storage()?.getItem(settingsItem(datasetId));
  if (!raw) return null;
  try {
    return { ...DEFAULT_SETTINGS, ...(JSON.parse(raw) as Partial<PineconeSettings>) };
  } catch {
    return null;
  }
}

/** The request config of a dataset (saved settings and the stored key), or null if incomplete. */
export function pineconeConfig(datasetId: string): SyncConfig | null {
  const settings = loadPineconeSettings(datasetId);
  const apiKey = readApiKey();
  if (!settings || !apiKey) return null;
  return toConfig(settings, apiKey);
}

function toConfig(settings: PineconeSettings, apiKey: string): SyncConfig {
  return {
    apiKey,
    indexName: settings.indexName.trim(),
    ...(settings.namespace.trim() ? { namespace: settings.namespace.trim() } : {}),
    ...(settings.cloud.trim() ? { cloud: settings.cloud.trim() } : {}),
    ...(settings.region.trim() ? { region: settings.region.trim() } : {}),
    metric: settings.metric,
    ...(settings.controllerHostUrl.trim()
      ? { controllerHostUrl: settings.controllerHostUrl.trim() }
      : {}),
  };
}

/** An error's message with the key cut out, whatever produced it. */
export function safeMessage(error: unknown, apiKey: string): string {
  const text = error instanceof Error ? error.message : String(error);
  return redact(text, apiKey);
}

/**
 * The Sync panel: Pinecone settings of the selected dataset, the running sync with its live
 * counts, and what an interrupted sync left to resume. One instance for the app, so a sync keeps
 * reporting while the Library view is away.
 */
export class SyncState {
  datasetId = $state<string | null>(null);
  setId = $state('');
  settings = $state<PineconeSettings>({ ...DEFAULT_SETTINGS });
  /** The key field; saved to localStorage with the settings. */
  apiKey = $state('');
  keyStored = $state(false);

  status = $state.raw<SyncStatus | null>(null);
  /** Dataset of the running sync, or null. */
  running = $state<string | null>(null);
  counts = $state.raw<SyncCounts | null>(null);
  progress = $state.raw<Progress | null>(null);
  result = $state.raw<SyncResult | null>(null);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  private controller: AbortController | null = null;
  private generation = 0;

  /** The namespace the sync will write: the typed one, else the dataset's default. */
  get namespace(): string {
    const typed = this.settings.namespace.trim();
    return typed || (this.datasetId ? defaultNamespace(this.datasetId) : '');
  }

  /** A namespace the user typed may hold other vectors; the sync deletes what the set lacks. */
  get customNamespace(): boolean {
    return this.datasetId !== null && this.namespace !== defaultNamespace(this.datasetId);
  }

  /** Reads the dataset's settings and outbox status (on selection and after a reload). */
  async load(datasetId: string | null): Promise<void> {
    if (datasetId !== this.datasetId) {
      this.result = null;
      this.error = null;
      this.notice = null;
      if (this.running !== datasetId) {
        this.counts = null;
        this.progress = null;
      }
    }
    this.datasetId = datasetId;
    this.apiKey = readApiKey();
    this.keyStored = this.apiKey !== '';
    if (!datasetId) {
      this.status = null;
      return;
    }
    this.settings = loadPineconeSettings(datasetId) ?? { ...DEFAULT_SETTINGS };
    await this.refreshStatus();
  }

  async refreshStatus(): Promise<void> {
    const datasetId = this.datasetId;
    if (!datasetId) return;
    try {
      const status = await syncClient.call((api) => api.status(datasetId));
      if (datasetId === this.datasetId) this.status = status;
    } catch (error) {
      this.error = `Could not read the sync status: ${safeMessage(error, this.apiKey)}`;
    }
  }

  /** Keeps the settings and key in this browser (localStorage of this origin only). */
  save(): void {
    const datasetId = this.datasetId;
    const store = storage();
    if (!datasetId || !store) return;
    store.setItem(settingsItem(datasetId), JSON.stringify($state.snapshot(this.settings)));
    const key = this.apiKey.trim();
    if (key) store.setItem(API_KEY_ITEM, key);
    this.keyStored = key !== '';
  }

  /** Removes the stored key from this browser; settings stay. */
  forgetKey(): void {
    storage()?.removeItem(API_KEY_ITEM);
    this.apiKey = '';
    this.keyStored = false;
    this.notice = 'The Pinecone API key was removed from this browser.';
  }

  sync(): Promise<void> {
    return this.run('sync');
  }

  resume(): Promise<void> {
    return this.run('resume');
  }

  cancel(): void {
    this.controller?.abort();
  }

  /** Drops the interrupted sync's queued changes; nothing more is sent for it. */
  async discard(): Promise<void> {
    const datasetId = this.datasetId;
    if (!datasetId || this.running) return;
    try {
      await syncClient.call((api) => api.discard(datasetId));
      this.notice = 'The unfinished sync was discarded.';
      this.result = null;
    } catch (error) {
      this.error = `Discard failed: ${safeMessage(error, this.apiKey)}`;
    }
    await this.refreshStatus();
  }

  private async run(kind: 'sync' | 'resume'): Promise<void> {
    const datasetId = this.datasetId;
    const setId = this.setId;
    if (!datasetId || this.running) return;
    if (kind === 'sync' && !setId) {
      this.error = 'Choose an embedding set to sync.';
      return;
    }
    const apiKey = this.apiKey.trim();
    if (!apiKey) {
      this.error = 'Enter a Pinecone API key.';
      return;
    }
    this.save();
    const config = toConfig($state.snapshot(this.settings), apiKey);
    this.error = null;
    this.notice = null;
    this.result = null;
    this.counts = null;
    this.progress = null;
    this.running = datasetId;
    this.controller = new AbortController();
    const signal = this.controller.signal;
    const generation = ++this.generation;
    const live = (): boolean => generation === this.generation && this.running === datasetId;
    const onProgress = Comlink.proxy((event: Progress) => {
      if (live()) this.progress = event;
    });
    const onCounts = Comlink.proxy((counts: SyncCounts) => {
      if (live()) this.counts = counts;
    });
    try {
      const result = await syncClient.call(
        (api) =>
          kind === 'sync'
            ? api.sync(datasetId, setId, config, signal, onProgress, onCounts)
            : api.resume(datasetId, config, signal, onProgress, onCounts),
        signal,
      );
      this.result = result;
      this.counts = { ...result.counts, retries: result.retries };
      this.notice = result.complete
        ? `Synced ${result.planned.upserts} vectors to ${result.indexName}/${result.namespace}` +
          `${result.unchanged ? ` (${result.unchanged} unchanged, not sent)` : ''}` +
          `${result.planned.deletes ? ` and deleted ${result.planned.deletes}` : ''}; verified.`
        : null;
      if (!result.complete) {
        const why = result.failures[0] ?? 'some changes are not verified in Pinecone';
        this.error = `Sync incomplete: ${redact(why, apiKey)} (Resume sync sends what is left).`;
      }
    } catch (error) {
      if (isAbortError(error)) this.notice = 'Sync cancelled: Resume sync continues it.';
      else this.error = `Sync failed: ${safeMessage(error, apiKey)}`;
    } finally {
      this.running = null;
      this.controller = null;
      await this.refreshStatus();
    }
  }
}

/** The app's one Sync panel state. */
export const syncState = new SyncState();
