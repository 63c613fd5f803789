import { throwIfAborted } from '../abort.ts';
import {
  DEFAULT_SEMANTIC_THRESHOLD,
  semanticChunks,
  validateSemanticOptions,
  type EmbedTexts,
  type SemanticChunkOptions,
} from '../chunk/index.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { LuminaStore } from '../store/index.ts';
import type { TokenCounter } from '../tokenizer/index.ts';
import type { TextChunk } from '../types.ts';
import type { ChunkDatasetResult } from './chunk-dataset.ts';

export interface SemanticDatasetControl {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Documents written per transaction. Default 20: each one costs a model run per sentence. */
  batchSize?: number;
  /** Recorded with the chunking settings: the model whose embeddings chose the cuts. */
  modelName?: string;
}

/**
 * (Re)chunks every document of a dataset semantically, with the same storage as chunkDataset:
 * re-running replaces the previous chunks, so an interrupted run is simply re-run.
 */
export async function chunkDatasetSemantic(
  store: LuminaStore,
  datasetId: string,
  options: SemanticChunkOptions,
  counter: TokenCounter,
  embed: EmbedTexts,
  control: SemanticDatasetControl = {},
): Promise<ChunkDatasetResult> {
  const problems = validateSemanticOptions(options);
  if (problems.length) throw new Error(`Chunk settings: ${problems.join(' ')}`);
  const reporter = new ProgressReporter(control.onProgress);
  const total = await store.countDocuments(datasetId);
  reporter.start(`Chunking ${total} document(s) semantically with ${counter.name}`);
  await store.deleteAllChunks(datasetId);
  let documents = 0;
  let chunks = 0;
  let tokens = 0;
  for await (const batch of store.iterateDocuments(datasetId, control.batchSize ?? 20)) {
    const entries: Array<{ docId: string; chunks: TextChunk[] }> = [];
    for (const doc of batch) {
      throwIfAborted(control.signal);
      const docChunks = await semanticChunks(doc.text, options, counter, embed, {
        ...(control.signal ? { signal: control.signal } : {}),
        onProgress: (done, sentences) =>
          reporter.update(documents + entries.length + done / Math.max(1, sentences), total),
      });
      entries.push({ docId: doc.id, chunks: docChunks });
    }
    await store.putChunkBatch(datasetId, entries);
    for (const entry of entries) {
      chunks += entry.chunks.length;
      for (const chunk of entry.chunks) tokens += chunk.tokenCount;
    }
    documents += batch.length;
    reporter.update(documents, total, `${chunks} chunks`);
  }
  const threshold = options.threshold ?? DEFAULT_SEMANTIC_THRESHOLD;
  await store.updateDatasetChunking(datasetId, {
    mode: 'semantic',
    chunkTokens: options.chunkTokens,
    overlapTokens: 0,
    threshold: { kind: threshold.kind, value: threshold.value },
    bufferSentences: options.bufferSentences ?? 1,
    ...(control.modelName ? { model: control.modelName } : {}),
    tokenizer: counter.name,
  });
  reporter.finish(`${chunks} chunks from ${documents} documents`);
  return { documents, chunks, tokens };
}
