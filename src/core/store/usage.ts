import { throwIfAborted } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { ModelRecord } from './records.ts';
import type { LuminaStore } from './store.ts';

export interface StorageUsage {
  /** Bytes this origin uses. */
  usage: number;
  /** Bytes this origin may use. */
  quota: number;
}

interface StorageManagerLike {
  estimate(): Promise<{ usage?: number; quota?: number }>;
}

/**
 * The origin's storage use as `navigator.storage.estimate()` reports it, or undefined where there
 * is no StorageManager (Node). `navigator` is read off globalThis: core may run without a page.
 */
export async function estimateUsage(): Promise<StorageUsage | undefined> {
  const storage = (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator
    ?.storage;
  if (!storage) return undefined;
  const { usage = 0, quota = 0 } = await storage.estimate();
  return { usage, quota };
}

/** Records of one kind and the bytes of their payload. */
export interface KindUsage {
  records: number;
  bytes: number;
}

/**
 * What one dataset keeps, by kind. Bytes count the payload, not IndexedDB's own overhead:
 * documents = text and metadata (as JSON) in UTF-8; chunks = text in UTF-8; embeddings = the
 * stored Float32 blocks (padding rows included, as stored) and their chunk ids; analyses = their
 * values and chunk ids.
 */
export interface DatasetUsage {
  datasetId: string;
  name: string;
  documents: KindUsage;
  chunks: KindUsage;
  /** `records` counts blocks; `sets` the embedding sets they belong to. */
  embeddings: KindUsage & { sets: number };
  analyses: KindUsage;
  total: number;
}

/** One model kept in IndexedDB: its files' bytes and its config as JSON. */
export interface StoredModelUsage {
  id: string;
  name: string;
  source: string;
  files: number;
  bytes: number;
}

export type UsageStore = Pick<
  LuminaStore,
  | 'getDataset'
  | 'iterateDocuments'
  | 'iterateChunks'
  | 'listEmbeddingSetIds'
  | 'iterateEmbeddingBlocks'
  | 'listAnalyses'
>;

export interface UsageControls {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/**
 * UTF-8 length of a string without encoding it: text scans would otherwise copy every document.
 * A lone surrogate counts 3 bytes, as TextEncoder writes it (U+FFFD).
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

const idsBytes = (ids: readonly string[]): number =>
  ids.reduce((sum, id) => sum + utf8ByteLength(id), 0);

const PAGE = 512;

/** Scans one dataset's records page by page and sums their payload bytes by kind. */
export async function datasetUsage(
  store: UsageStore,
  datasetId: string,
  { signal, onProgress }: UsageControls = {},
): Promise<DatasetUsage> {
  const dataset = await store.getDataset(datasetId);
  if (!dataset) throw new Error(`No dataset ${datasetId} is stored in this browser`);
  const progress = new ProgressReporter(onProgress);
  progress.start(`Measuring ${dataset.name}`);

  const documents: KindUsage = { records: 0, bytes: 0 };
  const docProgress = progress.sub(0, 0.4);
  for await (const page of store.iterateDocuments(datasetId, PAGE, signal)) {
    for (const doc of page) {
      documents.records++;
      documents.bytes += utf8ByteLength(doc.text) + utf8ByteLength(JSON.stringify(doc.metadata));
    }
    docProgress(documents.records, dataset.documentCount, 'documents');
  }

  const chunks: KindUsage = { records: 0, bytes: 0 };
  const chunkProgress = progress.sub(0.4, 0.7);
  for await (const page of store.iterateChunks(datasetId, PAGE, signal)) {
    for (const chunk of page) {
      chunks.records++;
      chunks.bytes += utf8ByteLength(chunk.text);
    }
    chunkProgress(chunks.records, dataset.chunkCount, 'chunks');
  }

  const setIds = await store.listEmbeddingSetIds(datasetId);
  const embeddings = { records: 0, bytes: 0, sets: setIds.length };
  const setProgress = progress.sub(0.7, 0.95);
  for (const [done, setId] of setIds.entries()) {
    // Blocks hold up to 1024 vectors each: a few per page keeps the worker's memory small.
    for await (const page of store.iterateEmbeddingBlocks(datasetId, setId, 4, signal)) {
      for (const block of page) {
        embeddings.records++;
        embeddings.bytes += block.vectors.byteLength + idsBytes(block.chunkIds);
      }
    }
    setProgress(done + 1, setIds.length, 'embedding sets');
  }

  throwIfAborted(signal);
  const analyses: KindUsage = { records: 0, bytes: 0 };
  for (const analysis of await store.listAnalyses(datasetId)) {
    analyses.records++;
    analyses.bytes += analysis.values.byteLength + idsBytes(analysis.chunkIds);
  }

  const total = documents.bytes + chunks.bytes + embeddings.bytes + analyses.bytes;
  progress.finish(`${dataset.name}: ${total} bytes`);
  return { datasetId, name: dataset.name, documents, chunks, embeddings, analyses, total };
}

/** Every model kept in this browser's store with the bytes its files and config take. */
export function storedModelUsage(models: readonly ModelRecord[]): StoredModelUsage[] {
  return models.map((model) => {
    const files = Object.values(model.files ?? {});
    return {
      id: model.id,
      name: model.name,
      source: model.source,
      files: files.length,
      bytes:
        files.reduce((sum, file) => sum + (file instanceof Blob ? file.size : file.byteLength), 0) +
        utf8ByteLength(JSON.stringify(model.config)),
    };
  });
}
