/**
 * One tokenizer training job as the worker, the CLI and the page run it: train on a corpus
 * (optionally holding out every n-th text), then report coverage on the held-out texts, and
 * hand back the three Hugging Face files as text.
 */
import { throwIfAborted } from '../../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import type { LuminaStore } from '../../store/index.ts';
import { coverageReport, type CoverageReport } from './coverage.ts';
import { createEncoder } from './encoder.ts';
import { tokenizerFileTexts, type TokenizerFileName } from './tokenizer-files.ts';
import { trainTokenizer, type TrainStats } from './trainer.ts';
import type { TokenizerTrainOptions } from './types.ts';
import type { TextSource } from './word-counts.ts';

export interface TokenizerJobRequest {
  options: TokenizerTrainOptions;
  /** Held-out texts for the coverage report. */
  heldOutTexts?: readonly string[];
  /** Hold out every n-th corpus text (n ≥ 2) instead of training on it; 0 or absent: none. */
  holdOutEvery?: number;
  /** Total characters of the corpus when known, for progress while counting. */
  expectedChars?: number;
}

export interface TokenizerJobResult {
  files: Record<TokenizerFileName, string>;
  stats: TrainStats;
  /** Null when there was no held-out text. */
  coverage: CoverageReport | null;
}

export interface JobControls {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

async function* holdingOut(
  texts: TextSource,
  every: number,
  heldOut: string[],
): AsyncGenerator<string> {
  let index = 0;
  for await (const text of texts) {
    if (every >= 2 && index % every === every - 1) heldOut.push(text);
    else yield text;
    index++;
  }
}

export async function runTokenizerJob(
  texts: TextSource,
  request: TokenizerJobRequest,
  controls: JobControls = {},
): Promise<TokenizerJobResult> {
  const { signal } = controls;
  const every = Math.floor(request.holdOutEvery ?? 0);
  if (every === 1 || every < 0) throw new Error('holdOutEvery must be 0 (none) or at least 2');
  const progress = new ProgressReporter(controls.onProgress);
  progress.start('Training tokenizer');
  const trainPhase = progress.sub(0, 0.9);
  const coveragePhase = progress.sub(0.9, 1);
  const heldOut = [...(request.heldOutTexts ?? [])];
  const trained = await trainTokenizer(holdingOut(texts, every, heldOut), request.options, {
    signal,
    expectedChars: request.expectedChars,
    onProgress: (event) => trainPhase(event.fraction, 1, event.message),
  });
  let coverage: CoverageReport | null = null;
  if (heldOut.length > 0) {
    coverage = await coverageReport(createEncoder(trained.tokenizerJson), heldOut, {
      signal,
      expectedTexts: heldOut.length,
      onProgress: (event) => coveragePhase(event.fraction, 1, 'Measuring coverage'),
    });
  }
  throwIfAborted(signal);
  progress.finish(`Vocabulary of ${trained.stats.vocabSize} tokens`);
  return { files: tokenizerFileTexts(trained), stats: trained.stats, coverage };
}

/** The texts of a stored dataset's documents, in id order, read a page at a time. */
export async function* datasetTexts(
  store: Pick<LuminaStore, 'iterateDocuments'>,
  datasetId: string,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  for await (const page of store.iterateDocuments(datasetId, 200, signal)) {
    for (const doc of page) yield doc.text;
  }
}
