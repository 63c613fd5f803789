import { throwIfAborted } from '../abort.ts';
import {
  prepareTexts,
  type PreparedText,
  type PrepareOptions,
  type PrepareReport,
} from '../prepare/index.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { LuminaStore } from '../store/index.ts';
import type { TokenCounter } from '../tokenizer/index.ts';
import type { SourceDocument } from '../types.ts';

export interface PrepareDatasetResult {
  report: PrepareReport;
  texts: PreparedText[];
  /** Id of the dataset the prepared texts were saved to, when asked. */
  savedDatasetId: string | null;
}

/**
 * Runs the cleaning / filtering / dedupe / split pipeline over a stored dataset and, when asked,
 * saves the result as a new dataset whose documents carry their split and token count.
 */
export async function prepareDataset(
  store: LuminaStore,
  datasetId: string,
  options: PrepareOptions,
  counter: TokenCounter,
  control: { signal?: AbortSignal; onProgress?: ProgressCallback; saveAs?: string } = {},
): Promise<PrepareDatasetResult> {
  const reporter = new ProgressReporter(control.onProgress);
  reporter.start('Reading documents');
  const total = await store.countDocuments(datasetId);
  const docs: SourceDocument[] = [];
  for await (const batch of store.iterateDocuments(datasetId, 500)) {
    throwIfAborted(control.signal);
    for (const d of batch)
      docs.push({ id: d.id, source: d.source, text: d.text, metadata: d.metadata });
    reporter.update(docs.length, total * 4, 'Reading documents');
  }
  const cleaningProgress = reporter.sub(0.25, 0.85);
  const { texts, report } = prepareTexts(docs, options, counter, {
    signal: control.signal,
    onProgress: (done, all) => cleaningProgress(done, all, 'Cleaning'),
  });
  let savedDatasetId: string | null = null;
  if (control.saveAs) {
    const target = await store.createDataset(control.saveAs);
    const saveProgress = reporter.sub(0.85, 1);
    try {
      for (let i = 0; i < texts.length; i += 1000) {
        throwIfAborted(control.signal);
        const slice = texts.slice(i, i + 1000).map((t): SourceDocument => ({
          id: t.text_id,
          source: t.source,
          text: t.text,
          metadata: { split: t.split, token_count: t.token_count, doc_id: t.doc_id },
        }));
        await store.addDocuments(target.id, `prepared:${datasetId}`, slice);
        saveProgress(i + slice.length, texts.length, 'Saving');
      }
    } catch (error) {
      // A half-saved result would look like a finished dataset: remove it whole.
      await store.deleteDataset(target.id);
      throw error;
    }
    savedDatasetId = target.id;
  }
  reporter.finish(`${texts.length} texts`);
  return { report, texts, savedDatasetId };
}
