/**
 * Gathers a finished embedding set from the store into a `BundleInput`. Rows follow the stored
 * embedding rows (the order the job finished them in), so chunk row i is embedding row i without
 * copying vectors around; documents follow the rows of the document-average set (id order).
 */

import { throwIfAborted } from '../abort.ts';
import { documentSetId, getEmbedJob, type EmbedJobCursor } from '../embed/job/index.ts';
import type { Pooling } from '../embed/runtime/index.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { DatasetRecord, LuminaStore } from '../store/index.ts';
import type { JsonValue, Metadata } from '../types.ts';
import type {
  BundleChunk,
  BundleChunking,
  BundleDocument,
  BundleInput,
  BundleModel,
  BundlePooling,
  MissingDocEmbedding,
} from './format.ts';
import {
  bundleSelection,
  checkSelectionRequest,
  selectionMatcher,
  type SelectionRequest,
} from './selection.ts';

export interface BundleFromStoreOptions {
  appVersion: string;
  /** Exports only these rows; the manifest then records the selection. Default: the whole set. */
  selection?: SelectionRequest;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

interface DocumentInfo {
  source: string;
  charCount: number;
  metadata: Metadata;
}

const BLOCKS_PER_READ = 4;

/**
 * Reads the finished set `setId` of a dataset, or the rows of it that `selection` chooses, as
 * everything a bundle is written from. A selection keeps the documents with at least one chosen
 * chunk, with their stored average vectors (the average over all their chunks in the set).
 */
export async function bundleFromStore(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  { appVersion, selection, signal, onProgress }: BundleFromStoreOptions,
): Promise<BundleInput> {
  throwIfAborted(signal);
  if (selection) checkSelectionRequest(selection);
  const progress = new ProgressReporter(onProgress);
  progress.start(`Reading embedding set ${setId}`);
  const dataset = await store.getDataset(datasetId);
  if (!dataset) throw new Error(`Dataset ${datasetId} does not exist.`);
  const found = await getEmbedJob(store, datasetId, setId);
  if (!found) throw new Error(`Dataset "${dataset.name}" has no embedding set ${setId}.`);
  if (found.job.state !== 'done') {
    throw new Error(
      `Embedding set ${setId} of "${dataset.name}" is not finished (${found.job.state}, ` +
        `${found.cursor.rows}/${found.cursor.total} chunks): finish or resume it before exporting.`,
    );
  }
  const { cursor } = found;
  const model = bundleModel(cursor);
  const chunking = bundleChunking(dataset);
  const { dims } = cursor;

  // Documents first: a filter selection decides by them which vectors to keep.
  const allDocs = new Map<string, DocumentInfo>();
  for await (const batch of store.iterateDocuments(datasetId, 200, signal)) {
    for (const doc of batch) {
      allDocs.set(doc.id, { source: doc.source, charCount: doc.charCount, metadata: doc.metadata });
    }
  }
  progress.update(1, 5, 'documents read');
  const matcher = selection ? selectionMatcher(selection, allDocs) : null;

  // Chunk vectors and their ids, in stored row order; a selection keeps its rows only.
  let embeddings = new Float32Array(cursor.rows * dims);
  const rowIds: string[] = [];
  const seenChunks = new Set<string>();
  let setRows = 0;
  for await (const blocks of store.iterateEmbeddingBlocks(
    datasetId,
    setId,
    BLOCKS_PER_READ,
    signal,
  )) {
    for (const block of blocks) {
      if (setRows + block.count > cursor.rows) throw changed(setId, 'holds extra vectors');
      setRows += block.count;
      if (!matcher) {
        embeddings.set(block.vectors.subarray(0, block.count * dims), rowIds.length * dims);
        rowIds.push(...block.chunkIds.slice(0, block.count));
        continue;
      }
      for (let row = 0; row < block.count; row += 1) {
        const id = block.chunkIds[row] ?? '';
        seenChunks.add(id);
        if (!matcher.keepsChunk(id)) continue;
        embeddings.set(block.vectors.subarray(row * dims, (row + 1) * dims), rowIds.length * dims);
        rowIds.push(id);
      }
    }
  }
  if (setRows !== cursor.rows) throw changed(setId, 'lost vectors');
  if (matcher) {
    const unknown = matcher.unknown(seenChunks);
    if (unknown.length) {
      const what = selection?.kind === 'chunks' ? `embedding set ${setId}` : 'the dataset';
      throw new Error(
        `The selection names ${unknown.length} ${selection?.kind ?? 'rows'} that ${what} does ` +
          `not hold (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''}): ` +
          'select again on the current data.',
      );
    }
    if (rowIds.length === 0) {
      throw new Error(
        `The selection holds no embedded chunks of ${setId}: nothing to export. ` +
          'Choose other rows or loosen the filter.',
      );
    }
    embeddings = embeddings.slice(0, rowIds.length * dims);
  }
  progress.update(2, 5, 'chunk vectors read');

  const rowOf = new Map(rowIds.map((id, row) => [id, row]));
  const chunkRows: (Omit<BundleChunk, 'source' | 'metadata'> | undefined)[] = rowIds.map(
    () => undefined,
  );
  for await (const batch of store.iterateChunks(datasetId, 500, signal)) {
    for (const chunk of batch) {
      const row = rowOf.get(chunk.id);
      if (row === undefined) {
        if (matcher?.keepsChunk(chunk.id) === false) continue;
        throw changed(setId, `has no vector for chunk ${chunk.id}`);
      }
      chunkRows[row] = {
        docId: chunk.docId,
        chunkIndex: chunk.index,
        text: chunk.text,
        charStart: chunk.charStart,
        charEnd: chunk.charEnd,
        tokenCount: chunk.tokenCount,
      };
    }
  }
  progress.update(3, 5, 'chunks read');

  const chunksPerDoc = new Map<string, number>();
  const chunks = chunkRows.map((chunk, row): BundleChunk => {
    if (!chunk) throw changed(setId, `has a vector for chunk ${rowIds[row]}, which is gone`);
    const doc = allDocs.get(chunk.docId);
    if (!doc) throw changed(setId, `has chunks of document ${chunk.docId}, which is gone`);
    chunksPerDoc.set(chunk.docId, (chunksPerDoc.get(chunk.docId) ?? 0) + 1);
    return { ...chunk, source: doc.source, metadata: doc.metadata };
  });
  // A selection keeps the documents of its chunks; the whole set keeps chunkless ones too.
  const docs = matcher
    ? new Map([...allDocs].filter(([docId]) => chunksPerDoc.has(docId)))
    : allDocs;
  progress.update(4, 5, 'chunks joined to documents');

  const { documents, docEmbeddings } = await documentAverages(
    store,
    datasetId,
    setId,
    dims,
    docs,
    chunksPerDoc,
    allDocs,
    signal,
  );
  const averaged = new Set(documents.map((doc) => doc.docId));
  const missingDocEmbeddings: MissingDocEmbedding[] = [];
  for (const [docId, doc] of docs) {
    if (averaged.has(docId)) continue;
    missingDocEmbeddings.push({
      docId,
      source: doc.source,
      reason: chunksPerDoc.has(docId)
        ? 'its chunks were not all embedded'
        : 'the document has no chunks',
    });
  }
  progress.finish(`${chunks.length} chunks, ${documents.length} documents`);
  return {
    appVersion,
    model,
    chunking,
    chunks,
    embeddings,
    documents,
    docEmbeddings,
    missingDocEmbeddings,
    ...(selection
      ? {
          selection: bundleSelection(
            selection,
            { documents: allDocs.size, chunks: cursor.rows },
            { documents: docs.size, chunks: chunks.length },
          ),
        }
      : {}),
  };
}

async function documentAverages(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  dims: number,
  docs: ReadonlyMap<string, DocumentInfo>,
  chunksPerDoc: ReadonlyMap<string, number>,
  allDocs: ReadonlyMap<string, DocumentInfo>,
  signal: AbortSignal | undefined,
): Promise<{ documents: BundleDocument[]; docEmbeddings: Float32Array }> {
  const blocks = await store.listEmbeddingBlocks(datasetId, documentSetId(setId));
  throwIfAborted(signal);
  const rows = blocks.reduce((sum, block) => sum + block.count, 0);
  const docEmbeddings = new Float32Array(rows * dims);
  const documents: BundleDocument[] = [];
  for (const block of blocks) {
    for (let row = 0; row < block.count; row += 1) {
      const docId = block.chunkIds[row] ?? '';
      const doc = docs.get(docId);
      if (!doc) {
        if (allDocs.has(docId)) continue; // left out of the selection

        throw changed(setId, `has an average of document ${docId}, which is gone`);
      }
      docEmbeddings.set(
        block.vectors.subarray(row * dims, (row + 1) * dims),
        documents.length * dims,
      );
      documents.push({
        docId,
        source: doc.source,
        charCount: doc.charCount,
        chunkCount: chunksPerDoc.get(docId) ?? 0,
        metadata: doc.metadata,
      });
    }
  }
  return { documents, docEmbeddings: docEmbeddings.slice(0, documents.length * dims) };
}

function changed(setId: string, what: string): Error {
  return new Error(
    `Embedding set ${setId} no longer matches the dataset (it ${what}): the dataset changed ` +
      'after it was embedded. Embed it again before exporting.',
  );
}

const POOLING_NAMES: Record<Pooling, BundlePooling> = {
  mean: 'mean',
  cls: 'cls',
  'last-token': 'last_token',
};

function bundleModel(cursor: EmbedJobCursor): BundleModel {
  const { model } = cursor;
  if (!model) {
    throw new Error(
      `Embedding set ${cursor.setId} was made before Lumina recorded the model's pooling, dtype ` +
        'and prefixes: embed it again to export it.',
    );
  }
  if (model.revision === null && model.weightsSha256 === null) {
    throw new Error(
      `Embedding set ${cursor.setId} does not record which weights made it (no revision or ` +
        'weights hash): embed it again to export it.',
    );
  }
  return {
    id: cursor.modelId,
    revision: model.revision,
    weightsSha256: model.weightsSha256,
    dims: cursor.dims,
    pooling: POOLING_NAMES[model.pooling],
    normalize: cursor.settings.normalize,
    dtype: model.dtype,
    maxTokens: cursor.settings.maxTokens,
    queryPrefix: model.queryPrefix,
    documentPrefix: model.documentPrefix,
  };
}

/** The dataset's chunker settings plus the tokenizer that counted the chunks' tokens. */
function bundleChunking(dataset: DatasetRecord): BundleChunking {
  const settings: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(dataset.chunking ?? {})) {
    if (value !== undefined) settings[key] = value;
  }
  const { mode, chunkTokens, overlapTokens } = settings;
  if (typeof mode !== 'string' || typeof chunkTokens !== 'number') {
    throw new Error(`Dataset "${dataset.name}" records no chunking settings: chunk it again.`);
  }
  return {
    ...settings,
    ...(dataset.tokenizer !== undefined ? { tokenizer: dataset.tokenizer } : {}),
    mode,
    chunkTokens,
    overlapTokens: typeof overlapTokens === 'number' ? overlapTokens : 0,
  };
}
