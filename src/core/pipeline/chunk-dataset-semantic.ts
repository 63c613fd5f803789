import {
  DEFAULT_SEMANTIC_THRESHOLD,
  semanticChunks,
  validateSemanticOptions,
  type EmbedTexts,
  type SemanticChunkOptions,
} from '../chunk/index.ts';
import type { ProgressCallback } from '../progress.ts';
import type { LuminaStore } from '../store/index.ts';
import type { TokenCounter } from '../tokenizer/index.ts';
import { rechunkDataset, type ChunkDatasetResult } from './chunk-dataset.ts';

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
  const threshold = options.threshold ?? DEFAULT_SEMANTIC_THRESHOLD;
  return rechunkDataset(store, datasetId, {
    label: `Chunking {total} document(s) semantically with ${counter.name}`,
    chunkDocument: (doc, onFraction) =>
      semanticChunks(doc.text, options, counter, embed, {
        ...(control.signal ? { signal: control.signal } : {}),
        onProgress: (done, sentences) => onFraction(done / Math.max(1, sentences)),
      }),
    settings: {
      mode: 'semantic',
      chunkTokens: options.chunkTokens,
      overlapTokens: 0,
      threshold: { kind: threshold.kind, value: threshold.value },
      bufferSentences: options.bufferSentences ?? 1,
      ...(control.modelName ? { model: control.modelName } : {}),
      tokenizer: counter.name,
    },
    batchSize: control.batchSize ?? 20,
    ...(control.signal ? { signal: control.signal } : {}),
    ...(control.onProgress ? { onProgress: control.onProgress } : {}),
  });
}
