import * as Comlink from 'comlink';
import '../src/lib/comlink-abort.ts';
import { bundleFromStore, writeBundle, type SelectionRequest } from '../src/core/bundle/index.ts';
import { chunkText, type ChunkOptions } from '../src/core/chunk/index.ts';
import type { IngestInput, IngestOptions } from '../src/core/ingest/index.ts';
import { chunkDataset } from '../src/core/pipeline/chunk-dataset.ts';
import {
  ingestIntoDataset,
  ingestPastedText,
  recoverInterruptedIngests,
} from '../src/core/pipeline/ingest-dataset.ts';
import { prepareDataset } from '../src/core/pipeline/prepare-dataset.ts';
import {
  resolveTokenizer,
  tokenizerKey,
  type TokenizerSource,
} from '../src/core/pipeline/tokenizer-source.ts';
import {
  toJsonl,
  toParquet,
  type PreparedText,
  type PrepareOptions,
} from '../src/core/prepare/index.ts';
import { ProgressReporter, type ProgressCallback } from '../src/core/progress.ts';
import {
  datasetUsage,
  openStore,
  storedModelUsage,
  type DatasetUsage,
  type LuminaStore,
  type StoredModelUsage,
} from '../src/core/store/index.ts';
import type { TokenCounter } from '../src/core/tokenizer/index.ts';
import { importBundle, type ImportBundleResult } from '../src/core/bundle/import-bundle.ts';
import {
  importHubIntoDataset,
  type HubEndpoints,
  type HubImportRequest,
  type HubImportResult,
} from '../src/core/hub-datasets/index.ts';
import { modelFromZip, modelZip } from '../src/core/model/model-archive.ts';
import { importModel, modelZipFileName, storedModelZip } from '../src/core/model/stored-models.ts';

let storePromise: Promise<LuminaStore> | null = null;
const store = (): Promise<LuminaStore> => (storePromise ??= openStore());

const tokenizers = new Map<string, Promise<TokenCounter>>();
async function tokenizer(source: TokenizerSource): Promise<TokenCounter> {
  const key = tokenizerKey(source);
  let loading = tokenizers.get(key);
  if (!loading) {
    loading = store().then((s) => resolveTokenizer(source, s));
    tokenizers.set(key, loading);
    loading.catch(() => tokenizers.delete(key));
  }
  return loading;
}

/** The last prepared texts, kept so they can be exported without preparing again. */
let lastPrepared: PreparedText[] = [];

const api = {
  /**
   * What each dataset and each model kept in IndexedDB takes, measured from the stored records
   * (a scan of every record: it runs here, off the page's thread).
   */
  async storageUsage(
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<{ datasets: DatasetUsage[]; models: StoredModelUsage[] }> {
    const s = await store();
    const progress = new ProgressReporter(onProgress);
    progress.start('Measuring storage');
    const list = await s.listDatasets();
    const datasets: DatasetUsage[] = [];
    for (const [done, dataset] of list.entries()) {
      datasets.push(await datasetUsage(s, dataset.id, signal ? { signal } : {}));
      progress.update(done + 1, list.length + 1, dataset.name);
    }
    const models = storedModelUsage(await s.listModels());
    progress.finish(`${datasets.length} datasets, ${models.length} models`);
    return { datasets, models };
  },

  /** Removes half-ingested files left by a closed tab; returns what was cleaned per dataset. */
  /**
   * Imports a `.lumina` bundle as a new dataset after checking everything in it (an untrusted
   * file); nothing is kept when any check or write fails. Importing it again adds nothing.
   */
  async importBundle(
    file: Blob,
    name: string,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<ImportBundleResult> {
    return importBundle(await store(), file, {
      name,
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
  },

  async recoverInterrupted(): Promise<Record<string, string[]>> {
    const s = await store();
    const cleaned: Record<string, string[]> = {};
    for (const dataset of await s.listDatasets()) {
      const paths = await recoverInterruptedIngests(s, dataset.id);
      if (paths.length) cleaned[dataset.name] = paths;
    }
    return cleaned;
  },

  async ingest(
    datasetId: string,
    inputs: IngestInput[],
    options: IngestOptions,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ) {
    return ingestIntoDataset(await store(), datasetId, inputs, options, { signal, onProgress });
  },

  async paste(datasetId: string, text: string, options: IngestOptions) {
    return ingestPastedText(await store(), datasetId, text, options);
  },

  /** Imports the first rows of a Hugging Face dataset split (see src/core/hub-datasets). */
  async importHubDataset(
    datasetId: string,
    request: HubImportRequest,
    hub: { endpoints: HubEndpoints; token?: string },
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<HubImportResult> {
    return importHubIntoDataset(await store(), datasetId, request, {
      endpoints: hub.endpoints,
      ...(hub.token ? { token: hub.token } : {}),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
  },

  async chunk(
    datasetId: string,
    options: ChunkOptions,
    source: TokenizerSource,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ) {
    return chunkDataset(await store(), datasetId, options, await tokenizer(source), {
      signal,
      onProgress,
    });
  },

  async previewChunks(text: string, options: ChunkOptions, source: TokenizerSource) {
    return chunkText(text, options, await tokenizer(source));
  },

  async prepare(
    datasetId: string,
    options: PrepareOptions,
    source: TokenizerSource,
    saveAs: string | null,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ) {
    const result = await prepareDataset(
      await store(),
      datasetId,
      options,
      await tokenizer(source),
      {
        signal,
        onProgress,
        ...(saveAs ? { saveAs } : {}),
      },
    );
    lastPrepared = result.texts;
    return {
      report: result.report,
      preview: result.texts.slice(0, 50),
      savedDatasetId: result.savedDatasetId,
    };
  },

  async exportPrepared(format: 'parquet' | 'jsonl'): Promise<Uint8Array> {
    if (!lastPrepared.length) throw new Error('Nothing prepared yet: run the preparation first.');
    const bytes =
      format === 'parquet'
        ? await toParquet(lastPrepared)
        : new TextEncoder().encode(toJsonl(lastPrepared));
    return Comlink.transfer(bytes, [bytes.buffer]);
  },

  /** A finished embedding set as Lumina bundle bytes (see docs/bundle-format.md), transferred. */
  async exportBundle(
    datasetId: string,
    setId: string,
    appVersion: string,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
    selection?: SelectionRequest,
  ): Promise<Uint8Array> {
    const progress = new ProgressReporter(onProgress);
    progress.start(`Exporting ${setId}`);
    const reading = progress.sub(0, 0.5);
    const writing = progress.sub(0.5, 1);
    const input = await bundleFromStore(await store(), datasetId, setId, {
      appVersion,
      ...(selection ? { selection } : {}),
      ...(signal ? { signal } : {}),
      onProgress: (event) => reading(event.fraction, 1, event.message),
    });
    const bytes = await writeBundle(input, {
      ...(signal ? { signal } : {}),
      onProgress: (event) => writing(event.fraction, 1, event.message),
    });
    progress.finish(`${input.chunks.length} chunks exported`);
    return Comlink.transfer(bytes, [bytes.buffer]);
  },

  /** Imports a model zip (untrusted: checked before it is inflated); returns the model's id. */
  async importModelZip(
    file: Blob,
    name: string,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<string> {
    const files = await modelFromZip(new Uint8Array(await file.arrayBuffer()), {
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
    });
    return importModel(await store(), files, name, signal ? { signal } : {});
  },

  /** Imports a picked model folder (HF path → file); returns the model's id. */
  async importModelFiles(entries: Map<string, Blob>, name: string): Promise<string> {
    return importModel(await store(), entries, name);
  },

  /** A stored model (by id) or a picked folder as zip bytes in the HF layout, transferred. */
  async modelZip(
    model: string | { files: Map<string, Blob>; name: string },
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<{ bytes: Uint8Array; fileName: string }> {
    const options = { ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) };
    const zipped =
      typeof model === 'string'
        ? await storedModelZip(await store(), model, options)
        : {
            bytes: await modelZip(model.files, model.name, options),
            fileName: modelZipFileName(model.name),
          };
    return Comlink.transfer(zipped, [zipped.bytes.buffer]);
  },
};

export type PrepareApi = typeof api;
Comlink.expose(api);
