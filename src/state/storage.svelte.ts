import * as Comlink from 'comlink';
import { ProgressReporter, type Progress } from '../core/progress.ts';
import {
  cachedModelUsage,
  deleteCachedModel,
  type CachedModelUsage,
} from '../core/store/cache-usage.ts';
import type { DatasetUsage, StoredModelUsage } from '../core/store/index.ts';
import { prepareClient } from '../lib/clients.ts';
import type { EmbedState } from './embed.svelte.ts';
import { JobState } from './job.svelte.ts';
import { pageStore, type LibraryState } from './library.svelte.ts';

export interface OriginStorage {
  usage: number;
  quota: number;
  persisted: boolean;
}

/**
 * The storage view: the origin's use and quota, what each dataset and model takes, and deleting
 * them. Store scans run in the prepare worker; Cache Storage is read here (it is only I/O).
 */
export class StorageState {
  origin = $state<OriginStorage | null>(null);
  datasets = $state<DatasetUsage[]>([]);
  storedModels = $state<StoredModelUsage[]>([]);
  cachedModels = $state<CachedModelUsage[]>([]);
  /** Whether the table was measured at least once. */
  measured = $state(false);
  readonly job = new JobState();

  constructor(
    private readonly library: LibraryState,
    private readonly embed: EmbedState,
  ) {}

  async refresh(): Promise<void> {
    await this.job.run('Measuring storage', async (signal, onProgress) => {
      const progress = new ProgressReporter(onProgress);
      const scanning = progress.sub(0, 0.85);
      const caching = progress.sub(0.85, 1);
      progress.start('Measuring storage');
      const { datasets, models } = await prepareClient.call(
        (api) =>
          api.storageUsage(
            signal,
            Comlink.proxy((event: Progress) => scanning(event.fraction, 1, event.message)),
          ),
        signal,
      );
      const cached =
        typeof caches === 'undefined'
          ? []
          : await cachedModelUsage<Request>(caches, {
              signal,
              onProgress: (event) => caching(event.fraction, 1, event.message),
            });
      this.datasets = datasets;
      this.storedModels = models;
      this.cachedModels = cached;
      this.origin = await originStorage();
      this.measured = true;
      progress.finish();
    });
  }

  async persist(): Promise<void> {
    if (navigator.storage?.persist) await navigator.storage.persist();
    this.origin = await originStorage();
  }

  deleteDataset(id: string): Promise<void> {
    return this.change('Deleting the dataset', () => this.library.deleteDataset(id));
  }

  deleteStoredModel(id: string): Promise<void> {
    return this.change('Deleting the model', async () => {
      await (await pageStore()).deleteModel(id);
      await this.embed.discoverStored();
    });
  }

  deleteCachedModel(modelId: string): Promise<void> {
    return this.change('Deleting the cached model', async () => {
      if (typeof caches !== 'undefined') await deleteCachedModel<Request>(caches, modelId);
    });
  }

  /** Runs a deletion, then measures again so the table shows what is left. */
  private async change(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.job.error = `${what} failed: ${error instanceof Error ? error.message : String(error)}`;
      return;
    }
    await this.refresh();
  }
}

async function originStorage(): Promise<OriginStorage | null> {
  if (!navigator.storage?.estimate) return null;
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  const persisted = navigator.storage.persisted ? await navigator.storage.persisted() : false;
  return { usage, quota, persisted };
}
