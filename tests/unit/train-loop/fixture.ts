import { readFileSync } from 'node:fs';
import { defaultTrainConfigCopy, type TrainConfig } from '../../../src/core/train/config/index.ts';
import {
  mlmTokenizerFromJson,
  prepareMlmData,
  type MlmData,
  type MlmTokenizer,
} from '../../../src/core/train/data/index.ts';
import { trainTokenizer } from '../../../src/core/tokenizer/train/index.ts';

export const WIKITEXT_VALID = new URL(
  '../../../../shared/datasets/wikitext-2/valid.txt',
  import.meta.url,
);

/** The first `count` non-empty WikiText-2 validation lines. */
export function wikiLines(count: number, skip = 0): string[] {
  return readFileSync(WIKITEXT_VALID, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .slice(skip, skip + count);
}

/** A WordPiece vocabulary of about 500 trained on the lines: a small embedding matrix. */
export async function tinyTokenizer(lines: readonly string[]): Promise<MlmTokenizer> {
  const trained = await trainTokenizer(lines, { type: 'wordpiece', vocabSize: 500 });
  return mlmTokenizerFromJson(trained.tokenizerJson);
}

/** Hidden 32, 2 layers, seq 32: a few ms per step on the cpu backend. */
export function tinyConfig(
  overrides: (config: TrainConfig) => void = () => undefined,
): TrainConfig {
  const config = defaultTrainConfigCopy();
  Object.assign(config.model, { d_model: 32, n_layers: 2, n_heads: 4, d_ff: 64, max_seq_len: 64 });
  Object.assign(config.data, { seq_len: 32, split: { train: 0.9, validation: 0.1, test: 0 } });
  Object.assign(config.training, {
    batch_size: 8,
    epochs: 1,
    learning_rate: 1e-3,
    warmup_steps: 2,
    warmup_ratio: 0,
    log_every_steps: 1,
    eval_every_steps: 0,
    checkpoint_every_steps: 0,
    backend: 'cpu',
  });
  overrides(config);
  return config;
}

export async function tinyData(
  lines: readonly string[],
  tokenizer: MlmTokenizer,
  config: TrainConfig,
): Promise<MlmData> {
  return prepareMlmData(lines, tokenizer, config.data);
}
