import * as Comlink from 'comlink';
import '../src/lib/comlink-abort.ts';
import type { ProgressCallback } from '../src/core/progress.ts';
import { openStore, type LuminaStore } from '../src/core/store/index.ts';
import {
  datasetTexts,
  runTokenizerJob,
  type TokenizerJobRequest,
  type TokenizerJobResult,
} from '../src/core/tokenizer/train/index.ts';

let storePromise: Promise<LuminaStore> | null = null;
const store = (): Promise<LuminaStore> => (storePromise ??= openStore());

/** Where the corpus comes from: texts sent by the page, or a stored dataset's documents. */
export type TrainCorpus = { texts: string[] } | { datasetId: string };

const api = {
  /** Trains a BPE or WordPiece tokenizer; returns its tokenizer files, stats and coverage. */
  async trainTokenizer(
    corpus: TrainCorpus,
    request: TokenizerJobRequest,
    signal?: AbortSignal,
    onProgress?: ProgressCallback,
  ): Promise<TokenizerJobResult> {
    if ('texts' in corpus) {
      const expectedChars = corpus.texts.reduce((sum, text) => sum + text.length, 0);
      return runTokenizerJob(corpus.texts, { expectedChars, ...request }, { signal, onProgress });
    }
    const s = await store();
    const dataset = await s.getDataset(corpus.datasetId);
    if (!dataset) throw new Error(`dataset ${corpus.datasetId} not found`);
    return runTokenizerJob(
      datasetTexts(s, corpus.datasetId, signal),
      { expectedChars: dataset.bytes, ...request },
      { signal, onProgress },
    );
  },
};

export type TrainApi = typeof api;
Comlink.expose(api);
