/**
 * Imports an untrusted bundle as a new dataset: validated in full first (nothing is written for
 * a bundle that fails any check), then written batch by batch; a failure while writing deletes
 * the new dataset again. The result looks like a dataset embedded here: documents, chunks, the
 * embedding set (id = the bundle's model id), its document averages and a finished embed job.
 */

import { throwIfAborted } from '../abort.ts';
import { documentSetId, embedJobId } from '../embed/job/index.ts';
import { makeEmbedJob, type EmbedJobCursor } from '../embed/job/job-record.ts';
import type { Pooling } from '../embed/runtime/index.ts';
import { ProgressReporter } from '../progress.ts';
import {
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
  type DatasetSettings,
  type EmbeddingBlockRecord,
  type LuminaStore,
} from '../store/index.ts';
import type { FileMessage, SourceDocument, TextChunk } from '../types.ts';
import type { Bundle, BundlePooling } from './format.ts';
import {
  validateBundle,
  type BundleSource,
  type ValidateBundleOptions,
} from './validate-bundle.ts';

export interface ImportBundleOptions extends ValidateBundleOptions {
  /** Name of the new dataset; default names the model and the bundle's date. */
  name?: string;
}

export interface ImportBundleResult {
  datasetId: string;
  setId: string;
  documentSetId: string;
  /** True when this bundle was imported before: nothing was written, `datasetId` is the old one. */
  duplicate: boolean;
  message: string;
  documents: number;
  chunks: number;
}

/** The file record of an imported bundle is kept under this path prefix. */
export const BUNDLE_FILE_PREFIX = 'bundle:';

const DOCUMENTS_PER_WRITE = 500;
const CHUNKS_PER_WRITE = 2000;
const BLOCKS_PER_WRITE = 8;

const POOLINGS: Record<BundlePooling, Pooling> = {
  mean: 'mean',
  cls: 'cls',
  last_token: 'last-token',
};

export async function importBundle(
  store: LuminaStore,
  input: BundleSource,
  options: ImportBundleOptions = {},
): Promise<ImportBundleResult> {
  const { signal } = options;
  const progress = new ProgressReporter(options.onProgress);
  progress.start('Checking the bundle');
  const { bundle, hash, bytes } = await validateBundle(input, {
    ...options,
    onProgress: (event) => {
      if (event.status !== 'start') progress.update(0.5 * event.fraction, 1, event.message);
    },
  });
  const { manifest } = bundle;
  const setId = manifest.model.id;

  const existing = await findImported(store, hash);
  if (existing) {
    const message = `This bundle is already imported as dataset "${existing.name}"; nothing was added.`;
    progress.finish(message);
    return {
      datasetId: existing.id,
      setId,
      documentSetId: documentSetId(setId),
      duplicate: true,
      message,
      documents: existing.documentCount,
      chunks: existing.chunkCount,
    };
  }
  throwIfAborted(signal);

  const { documents, rebuilt } = storedDocuments(bundle);
  const dataset = await store.createDataset(
    options.name ?? `${manifest.model.id} (bundle ${manifest.created.slice(0, 10)})`,
    datasetSettings(bundle),
  );
  try {
    const fileName = options.name ?? 'bundle.lumina';
    const messages: FileMessage[] = rebuilt
      ? [
          {
            file: fileName,
            level: 'info',
            message:
              'The bundle has no document texts: each text was rebuilt from its chunks, with ' +
              'spaces where no chunk covers it.',
          },
        ]
      : [];
    const file = {
      datasetId: dataset.id,
      hash,
      name: fileName,
      path: `${BUNDLE_FILE_PREFIX}${manifest.model.id}`,
      bytes,
      format: null,
      documents: documents.length,
      messages,
      addedAt: Date.now(),
    };
    // Marked 'ingesting' until the end, so a crash mid-import leaves a recognisable half-import.
    await store.putFile({ ...file, state: 'ingesting' });
    const write = progress.sub(0.5, 1);
    await writeDocuments(store, dataset.id, hash, documents, signal);
    write(1, 4, 'documents written');
    await writeChunks(store, dataset.id, bundle, signal);
    write(2, 4, 'chunks written');
    await writeVectors(store, dataset.id, setId, bundle.embeddings, rowIds(bundle), signal);
    await writeVectors(
      store,
      dataset.id,
      documentSetId(setId),
      bundle.docEmbeddings,
      bundle.documents.map((doc) => doc.docId),
      signal,
    );
    write(3, 4, 'vectors written');
    throwIfAborted(signal);
    await store.putJob(
      makeEmbedJob(embedJobId(dataset.id, setId), dataset.id, 'done', cursor(bundle)),
    );
    await store.putFile({ ...file, state: 'done' });
  } catch (error) {
    await store.deleteDataset(dataset.id);
    throw error;
  }
  const message =
    `Imported ${bundle.chunks.length} chunks of ${documents.length} documents embedded with ` +
    `${setId} as dataset "${dataset.name}".`;
  progress.finish(message);
  return {
    datasetId: dataset.id,
    setId,
    documentSetId: documentSetId(setId),
    duplicate: false,
    message,
    documents: documents.length,
    chunks: bundle.chunks.length,
  };
}

async function findImported(
  store: LuminaStore,
  hash: string,
): Promise<{ id: string; name: string; documentCount: number; chunkCount: number } | undefined> {
  for (const dataset of await store.listDatasets()) {
    const file = await store.findFile(dataset.id, hash);
    if (file?.path.startsWith(BUNDLE_FILE_PREFIX) && file.state === 'done') return dataset;
  }
  return undefined;
}

/** The chunker settings go back to the dataset; the tokenizer the export added moves out again. */
function datasetSettings(bundle: Bundle): DatasetSettings {
  const { tokenizer, ...chunking } = bundle.manifest.chunking;
  return {
    chunking,
    ...(typeof tokenizer === 'string' ? { tokenizer } : {}),
  };
}

/**
 * Every document of the bundle: those with averages and those listed as missing. Without a
 * `text` column the text is rebuilt from the chunks so chunk offsets stay valid.
 */
function storedDocuments(bundle: Bundle): { documents: SourceDocument[]; rebuilt: boolean } {
  const chunksOf = new Map<string, Bundle['chunks']>();
  for (const chunk of bundle.chunks) {
    const list = chunksOf.get(chunk.docId) ?? [];
    list.push(chunk);
    chunksOf.set(chunk.docId, list);
  }
  let rebuilt = false;
  const documents: SourceDocument[] = bundle.documents.map((doc) => {
    if (doc.text === undefined) rebuilt = true;
    return {
      id: doc.docId,
      source: doc.source,
      text: doc.text ?? rebuildText(chunksOf.get(doc.docId) ?? [], doc.charCount),
      metadata: doc.metadata,
    };
  });
  for (const missing of bundle.manifest.missingDocEmbeddings) {
    const chunks = chunksOf.get(missing.docId) ?? [];
    if (chunks.length > 0) rebuilt = true;
    const length = chunks.reduce((end, chunk) => Math.max(end, chunk.charEnd), 0);
    documents.push({
      id: missing.docId,
      source: missing.source,
      text: rebuildText(chunks, length),
      metadata: chunks[0]?.metadata ?? {},
    });
  }
  return { documents, rebuilt };
}

function rebuildText(chunks: Bundle['chunks'], length: number): string {
  const units: string[] = Array.from({ length }, () => ' ');
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.text.length; i += 1) {
      units[chunk.charStart + i] = chunk.text.charAt(i);
    }
  }
  return units.join('');
}

async function writeDocuments(
  store: LuminaStore,
  datasetId: string,
  fileHash: string,
  documents: readonly SourceDocument[],
  signal: AbortSignal | undefined,
): Promise<void> {
  for (let at = 0; at < documents.length; at += DOCUMENTS_PER_WRITE) {
    throwIfAborted(signal);
    await store.addDocuments(datasetId, fileHash, documents.slice(at, at + DOCUMENTS_PER_WRITE));
  }
}

async function writeChunks(
  store: LuminaStore,
  datasetId: string,
  bundle: Bundle,
  signal: AbortSignal | undefined,
): Promise<void> {
  const byDoc = new Map<string, TextChunk[]>();
  for (const chunk of bundle.chunks) {
    const list = byDoc.get(chunk.docId) ?? [];
    list.push({
      index: chunk.chunkIndex,
      text: chunk.text,
      charStart: chunk.charStart,
      charEnd: chunk.charEnd,
      tokenCount: chunk.tokenCount,
    });
    byDoc.set(chunk.docId, list);
  }
  let batch: { docId: string; chunks: TextChunk[] }[] = [];
  let size = 0;
  for (const [docId, chunks] of byDoc) {
    batch.push({ docId, chunks });
    size += chunks.length;
    if (size >= CHUNKS_PER_WRITE) {
      throwIfAborted(signal);
      await store.putChunkBatch(datasetId, batch);
      batch = [];
      size = 0;
    }
  }
  throwIfAborted(signal);
  if (batch.length > 0) await store.putChunkBatch(datasetId, batch);
}

function rowIds(bundle: Bundle): string[] {
  return bundle.chunks.map((chunk) => `${chunk.docId}#${chunk.chunkIndex}`);
}

/** Rows in bundle order, in the store's fixed-size blocks. */
async function writeVectors(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  vectors: Float32Array,
  ids: readonly string[],
  signal: AbortSignal | undefined,
): Promise<void> {
  if (ids.length === 0) return;
  const dims = vectors.length / ids.length;
  let pending: EmbeddingBlockRecord[] = [];
  for (let row = 0, index = 0; row < ids.length; row += EMBEDDING_BLOCK_ROWS, index += 1) {
    const count = Math.min(EMBEDDING_BLOCK_ROWS, ids.length - row);
    const block = emptyEmbeddingBlock(datasetId, setId, index, dims);
    block.vectors.set(vectors.subarray(row * dims, (row + count) * dims));
    block.count = count;
    block.chunkIds = ids.slice(row, row + count);
    pending.push(block);
    if (pending.length === BLOCKS_PER_WRITE) {
      throwIfAborted(signal);
      await store.putEmbeddingBlocks(pending);
      pending = [];
    }
  }
  throwIfAborted(signal);
  if (pending.length > 0) await store.putEmbeddingBlocks(pending);
}

/** A finished job's cursor, as `embedDataset` leaves it, so the app lists and exports the set. */
function cursor(bundle: Bundle): EmbedJobCursor {
  const { model, missingDocEmbeddings } = bundle.manifest;
  const rows = bundle.chunks.length;
  const last = bundle.chunks.at(-1);
  return {
    setId: model.id,
    modelId: model.id,
    device: 'bundle import',
    dims: model.dims,
    settings: {
      tokenBudget: 0,
      maxTokens: model.maxTokens,
      normalize: model.normalize,
      windowSize: 0,
    },
    model: {
      pooling: POOLINGS[model.pooling],
      dtype: model.dtype,
      queryPrefix: model.queryPrefix,
      documentPrefix: model.documentPrefix,
      revision: model.revision,
      weightsSha256: model.weightsSha256,
    },
    total: rows,
    rows,
    windowStartRow: rows,
    windowAfter: last ? `${last.docId}#${last.chunkIndex}` : null,
    chunksDone: true,
    tokens: bundle.chunks.reduce((sum, chunk) => sum + chunk.tokenCount, 0),
    documents: bundle.documents.length,
    missingDocuments: missingDocEmbeddings.length,
  };
}
