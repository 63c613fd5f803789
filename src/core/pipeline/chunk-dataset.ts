import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { chunkText, validateChunkOptions, type ChunkOptions } from '../chunk/index.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { DocumentRecord, LuminaStore } from '../store/index.ts';
import type { TokenCounter } from '../tokenizer/index.ts';
import type { TextChunk } from '../types.ts';

export interface ChunkDatasetResult {
  documents: number;
  chunks: number;
  tokens: number;
}

type ChunkingRecord = Parameters<LuminaStore['updateDatasetChunking']>[1];

export interface RechunkPlan {
  /** Shown when the run starts. */
  label: string;
  /** Chunks one document; `onFraction` reports progress inside a slow document (0..1). */
  chunkDocument(
    doc: DocumentRecord,
    onFraction: (fraction: number) => void,
  ): TextChunk[] | Promise<TextChunk[]>;
  /** Recorded on the dataset once every document is chunked. */
  settings: ChunkingRecord;
  batchSize: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/**
 * The loop every chunker shares: drop the old chunks, chunk the documents batch by batch (each
 * batch's chunks in one transaction), then record the settings. Re-running replaces the
 * previous chunks, so an interrupted run is simply re-run.
 */
export async function rechunkDataset(
  store: LuminaStore,
  datasetId: string,
  plan: RechunkPlan,
): Promise<ChunkDatasetResult> {
  const reporter = new ProgressReporter(plan.onProgress);
  const total = await store.countDocuments(datasetId);
  reporter.start(plan.label.replace('{total}', String(total)));
  await store.deleteAllChunks(datasetId);
  let documents = 0;
  let chunks = 0;
  let tokens = 0;
  for await (const batch of store.iterateDocuments(datasetId, plan.batchSize)) {
    const entries: Array<{ docId: string; chunks: TextChunk[] }> = [];
    for (const doc of batch) {
      throwIfAborted(plan.signal);
      const done = documents + entries.length;
      const docChunks = await plan.chunkDocument(doc, (fraction) =>
        reporter.update(done + fraction, total),
      );
      entries.push({ docId: doc.id, chunks: docChunks });
    }
    await store.putChunkBatch(datasetId, entries);
    for (const entry of entries) {
      chunks += entry.chunks.length;
      for (const chunk of entry.chunks) tokens += chunk.tokenCount;
    }
    documents += batch.length;
    reporter.update(documents, total, `${chunks} chunks`);
    await yieldToEventLoop();
  }
  await store.updateDatasetChunking(datasetId, plan.settings);
  reporter.finish(`${chunks} chunks from ${documents} documents`);
  return { documents, chunks, tokens };
}

/** (Re)chunks every document of a dataset with one of the token-measured splitters. */
export async function chunkDataset(
  store: LuminaStore,
  datasetId: string,
  options: ChunkOptions,
  counter: TokenCounter,
  control: { signal?: AbortSignal; onProgress?: ProgressCallback; batchSize?: number } = {},
): Promise<ChunkDatasetResult> {
  const problems = validateChunkOptions(options);
  if (problems.length) throw new Error(`Chunk settings: ${problems.join(' ')}`);
  return rechunkDataset(store, datasetId, {
    label: `Chunking {total} document(s) with ${counter.name}`,
    chunkDocument: (doc) => chunkText(doc.text, options, counter),
    settings: { ...options, tokenizer: counter.name },
    batchSize: control.batchSize ?? 200,
    ...(control.signal ? { signal: control.signal } : {}),
    ...(control.onProgress ? { onProgress: control.onProgress } : {}),
  });
}
