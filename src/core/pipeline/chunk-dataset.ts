import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { chunkText, validateChunkOptions, type ChunkOptions } from '../chunk/index.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { LuminaStore } from '../store/index.ts';
import type { TokenCounter } from '../tokenizer/index.ts';

export interface ChunkDatasetResult {
  documents: number;
  chunks: number;
  tokens: number;
}

/**
 * (Re)chunks every document of a dataset. Chunks of a batch of documents are written in one
 * transaction; re-running replaces the previous chunks, so an interrupted run is simply re-run.
 */
export async function chunkDataset(
  store: LuminaStore,
  datasetId: string,
  options: ChunkOptions,
  counter: TokenCounter,
  control: { signal?: AbortSignal; onProgress?: ProgressCallback; batchSize?: number } = {},
): Promise<ChunkDatasetResult> {
  const problems = validateChunkOptions(options);
  if (problems.length) throw new Error(`Chunk settings: ${problems.join(' ')}`);
  const reporter = new ProgressReporter(control.onProgress);
  const total = await store.countDocuments(datasetId);
  reporter.start(`Chunking ${total} document(s) with ${counter.name}`);
  await store.deleteAllChunks(datasetId);
  let documents = 0;
  let chunks = 0;
  let tokens = 0;
  for await (const batch of store.iterateDocuments(datasetId, control.batchSize ?? 200)) {
    throwIfAborted(control.signal);
    const entries = batch.map((doc) => ({
      docId: doc.id,
      chunks: chunkText(doc.text, options, counter),
    }));
    await store.putChunkBatch(datasetId, entries);
    for (const entry of entries) {
      chunks += entry.chunks.length;
      for (const chunk of entry.chunks) tokens += chunk.tokenCount;
    }
    documents += batch.length;
    reporter.update(documents, total, `${chunks} chunks`);
    await yieldToEventLoop();
  }
  await store.updateDatasetChunking(datasetId, { ...options, tokenizer: counter.name });
  reporter.finish(`${chunks} chunks from ${documents} documents`);
  return { documents, chunks, tokens };
}
