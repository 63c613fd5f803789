import { defaultTrainConfig } from '../train/config/defaults.ts';
import type { TrainingSection } from '../train/config/types.ts';
import type { LossConfig } from './losses/encoder-loss.ts';
import { DEFAULT_POOLING, type PoolingOptions } from './pooling.ts';

/** The kind of training file a preset reads. */
export type FineTuneDataKind = 'qa' | 'triplets' | 'scored' | 'labelled';

export interface FineTunePreset {
  id: string;
  label: string;
  description: string;
  data: FineTuneDataKind;
  loss: LossConfig;
  pooling: PoolingOptions;
  /** Fields that differ from {@link fineTuneTrainingDefaults}. */
  training: Partial<TrainingSection>;
}

/**
 * sentence-transformers' fit defaults: AdamW at 2e-5, weight decay 0.01, 10 % linear warmup then
 * linear decay, gradients clipped at 1; evaluation and checkpoints each epoch unless set.
 */
export const fineTuneTrainingDefaults: TrainingSection = {
  ...defaultTrainConfig.training,
  batch_size: 32,
  epochs: 1,
  max_steps: null,
  learning_rate: 2e-5,
  weight_decay: 0.01,
  adam_epsilon: 1e-6,
  warmup_steps: 0,
  warmup_ratio: 0.1,
  schedule: 'linear',
  grad_accumulation_steps: 1,
  max_grad_norm: 1,
  early_stopping: { patience: 0, min_delta: 0, metric: 'val_loss' },
  checkpoint_every_steps: 0,
  eval_every_steps: 0,
  log_every_steps: 10,
};

/** Named hyper-parameter sets, after the sentence-transformers training examples. */
export const FINE_TUNE_PRESETS: readonly FineTunePreset[] = [
  {
    id: 'mnrl-qa',
    label: 'MNRL on Q/A pairs',
    description:
      'MultipleNegativesRankingLoss (scale 20, in-batch negatives) on question/answer pairs; ' +
      'larger batches give more negatives. Evaluate with retrieval (nDCG@10).',
    data: 'qa',
    loss: { name: 'mnrl', scale: 20 },
    pooling: DEFAULT_POOLING,
    training: { batch_size: 32, epochs: 1, learning_rate: 2e-5 },
  },
  {
    id: 'mnrl-triplets',
    label: 'MNRL on triplets',
    description:
      'MultipleNegativesRankingLoss with one hard negative per (anchor, positive, negative) row.',
    data: 'triplets',
    loss: { name: 'mnrl', scale: 20 },
    pooling: DEFAULT_POOLING,
    training: { batch_size: 16, epochs: 1, learning_rate: 2e-5 },
  },
  {
    id: 'cosine-scored',
    label: 'CosineSimilarity on scored pairs',
    description:
      'CosineSimilarityLoss (MSE between cosine and the score normalised to [0, 1]), as the ' +
      'STS-B example: batch 16, 4 epochs. Evaluate with similarity (Spearman).',
    data: 'scored',
    loss: { name: 'cosine' },
    pooling: DEFAULT_POOLING,
    training: { batch_size: 16, epochs: 4, learning_rate: 2e-5 },
  },
  {
    id: 'online-contrastive-labelled',
    label: 'OnlineContrastive on labelled pairs',
    description:
      'OnlineContrastiveLoss (margin 0.5, hardest pairs of each batch) on 0/1 duplicate pairs, ' +
      'as the Quora duplicates example. Evaluate with binary classification (accuracy).',
    data: 'labelled',
    loss: { name: 'online-contrastive', margin: 0.5 },
    pooling: DEFAULT_POOLING,
    training: { batch_size: 64, epochs: 1, learning_rate: 2e-5 },
  },
  {
    id: 'contrastive-labelled',
    label: 'Contrastive on labelled pairs',
    description: 'ContrastiveLoss (cosine distance, margin 0.5) on 0/1 pairs.',
    data: 'labelled',
    loss: { name: 'contrastive', margin: 0.5 },
    pooling: DEFAULT_POOLING,
    training: { batch_size: 32, epochs: 1, learning_rate: 2e-5 },
  },
];

export function fineTunePreset(id: string): FineTunePreset {
  const preset = FINE_TUNE_PRESETS.find((p) => p.id === id);
  if (!preset) {
    throw new RangeError(
      `No fine-tuning preset "${id}" (${FINE_TUNE_PRESETS.map((p) => p.id).join(', ')})`,
    );
  }
  return preset;
}

/** The preset's training section over the fine-tuning defaults, then `overrides` on top. */
export function presetTraining(
  preset: FineTunePreset,
  overrides: Partial<TrainingSection> = {},
): TrainingSection {
  return structuredClone({ ...fineTuneTrainingDefaults, ...preset.training, ...overrides });
}

/** The preset a loss trains with by default: the CLI's `--loss` picks one. */
export function presetForLoss(loss: LossConfig['name'], data?: FineTuneDataKind): FineTunePreset {
  const match = FINE_TUNE_PRESETS.find(
    (p) => p.loss.name === loss && (data === undefined || p.data === data),
  );
  return match ?? fineTunePreset(loss === 'mnrl' ? 'mnrl-qa' : 'cosine-scored');
}
