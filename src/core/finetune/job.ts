import type { TrainingSection } from '../train/config/types.ts';
import type { PairExample, RankingExample } from './data/types.ts';
import {
  binaryClassificationEvaluator,
  retrievalEvaluator,
  retrievalSetFromPairs,
  similarityEvaluator,
  type Evaluator,
} from './evaluation/evaluators.ts';
import type { LossConfig } from './losses/encoder-loss.ts';
import type { PoolingOptions } from './pooling.ts';
import type { FineTuneBase, FineTuneExamples, FineTuneResult } from './train.ts';

/**
 * An evaluator as plain data, so a fine-tuning request can cross a worker boundary
 * (evaluators are closures).
 */
export type EvaluationSpec =
  | { kind: 'retrieval'; examples: RankingExample[] }
  | { kind: 'similarity'; pairs: PairExample[] }
  | { kind: 'binary'; pairs: PairExample[] };

export function evaluatorFromSpec(spec: EvaluationSpec): Evaluator {
  switch (spec.kind) {
    case 'retrieval':
      return retrievalEvaluator(retrievalSetFromPairs(spec.examples), 'held-out retrieval');
    case 'similarity':
      return similarityEvaluator(spec.pairs, 'held-out similarity');
    case 'binary':
      return binaryClassificationEvaluator(spec.pairs, 'held-out classification');
  }
}

/** Everything a fine-tuning run in a worker needs, as structured-cloneable data. */
export interface FineTuneJobRequest {
  base: FineTuneBase;
  /** Name of the exported model (store and zip). */
  name: string;
  train: FineTuneExamples;
  evaluation: EvaluationSpec | null;
  loss: LossConfig;
  pooling: PoolingOptions;
  training: TrainingSection;
  maxLength: number;
}

/** What comes back from a worker run: the figures, and where the exported model went. */
export interface FineTuneJobResult extends Pick<
  FineTuneResult,
  | 'status'
  | 'step'
  | 'totalSteps'
  | 'before'
  | 'after'
  | 'primaryMetric'
  | 'bestStep'
  | 'firstLoss'
  | 'lastLoss'
  | 'seconds'
> {
  /** Id of the exported model in this browser's model store. */
  modelId: string;
  zip: Uint8Array;
  zipName: string;
}
