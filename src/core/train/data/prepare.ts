import { throwIfAborted, yieldToEventLoop } from '../../abort.ts';
import { assignSplits } from '../../prepare/split.ts';
import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import type { DataSection } from '../config/types.ts';
import { chunkDocuments, fingerprintSequences, type SequenceSet } from './sequences.ts';
import type { MlmTokenizer } from './tokenizer.ts';

export type TextSource = Iterable<string> | AsyncIterable<string>;

export interface MlmData {
  train: SequenceSet;
  validation: SequenceSet;
  /** Held out: never trained or validated on; kept for a later evaluation. */
  test: SequenceSet;
  /** Texts used (after `max_samples`), and those that tokenised to nothing. */
  texts: number;
  emptyTexts: number;
  /** Identifies the exact sequences; stored in checkpoints to refuse resuming on other data. */
  fingerprint: string;
}

export interface PrepareMlmDataControls {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Number of texts when known in advance, for progress. */
  expectedTexts?: number;
}

/** How {@link prepareTrainingData} packs each split's token ids into fixed-length rows. */
export interface TrainingDataPacking<Tok> {
  pack(
    documents: readonly (readonly number[])[],
    seqLen: number,
    tokenizer: NoInfer<Tok>,
  ): SequenceSet;
  /** Names the rows in the final progress message. */
  unit: 'blocks' | 'sequences';
}

/**
 * Tokenises texts and packs them into rows. The split is drawn per text (prepare/split.ts: seeded
 * by `data.seed` and each text's position), before packing, so no text is shared between training
 * and validation. `max_samples` keeps the first texts of the source.
 */
export async function prepareTrainingData<Tok extends { encode(text: string): number[] }>(
  texts: TextSource,
  tokenizer: Tok,
  data: PrepareDataSection,
  packing: TrainingDataPacking<Tok>,
  controls: PrepareMlmDataControls = {},
): Promise<MlmData> {
  const { signal } = controls;
  const progress = new ProgressReporter(controls.onProgress);
  progress.start('Tokenising the corpus');
  const documents: number[][] = [];
  const limit = data.max_samples ?? Infinity;
  let emptyTexts = 0;
  for await (const text of texts) {
    if (documents.length + emptyTexts >= limit) break;
    const ids = tokenizer.encode(text);
    if (ids.length === 0) emptyTexts++;
    documents.push(ids);
    if (documents.length % 256 === 0) {
      throwIfAborted(signal);
      progress.update(documents.length, controls.expectedTexts ?? 0, 'Tokenising the corpus');
      await yieldToEventLoop();
    }
  }
  throwIfAborted(signal);
  const splits = assignSplits(
    documents.map((_ids, i) => String(i)),
    { ...data.split, seed: data.seed },
  );
  const part = (name: 'train' | 'validation' | 'test') =>
    packing.pack(
      documents.filter((_ids, i) => splits[i] === name),
      data.seq_len,
      tokenizer,
    );
  const train = part('train');
  const validation = part('validation');
  const test = part('test');
  progress.finish(`${train.inputIds.length} training ${packing.unit} of ${data.seq_len} tokens`);
  return {
    train,
    validation,
    test,
    texts: documents.length,
    emptyTexts,
    fingerprint: fingerprintSequences([train, validation]),
  };
}

/** The `data` config fields that preparing reads. */
export type PrepareDataSection = Pick<DataSection, 'seq_len' | 'max_samples' | 'split' | 'seed'>;

export type PrepareData<Tok> = (
  texts: TextSource,
  tokenizer: Tok,
  data: PrepareDataSection,
  controls?: PrepareMlmDataControls,
) => Promise<MlmData>;

/** {@link prepareTrainingData} with its packing fixed: one per kind of training data. */
export function trainingDataPreparer<Tok extends { encode(text: string): number[] }>(
  packing: TrainingDataPacking<Tok>,
): PrepareData<Tok> {
  return (texts, tokenizer, data, controls = {}) =>
    prepareTrainingData(texts, tokenizer, data, packing, controls);
}

/** Tokenises texts into MLM sequences ([CLS] … [SEP] chunks), see {@link prepareTrainingData}. */
export const prepareMlmData = trainingDataPreparer<MlmTokenizer>({
  pack: chunkDocuments,
  unit: 'sequences',
});
