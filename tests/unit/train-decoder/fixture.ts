import { defaultTrainConfigCopy, type TrainConfig } from '../../../src/core/train/config/index.ts';
import {
  causalTokenizerFromJson,
  type CausalTokenizer,
} from '../../../src/core/train/decoder/index.ts';
import type { TrainedTokenizerJson } from '../../../src/core/tokenizer/train/types.ts';
import { DECODER_CORPUS, decoderTokenizer } from '../decoder/fixtures.ts';

/** The decoder fixtures' paragraphs, repeated: a corpus a tiny model can learn in a few steps. */
export function repeatedCorpus(times: number): string[] {
  return Array.from({ length: times }, () => DECODER_CORPUS).flat();
}

export async function tinyTokenizer(): Promise<{
  json: TrainedTokenizerJson;
  tokenizer: CausalTokenizer;
}> {
  const json = await decoderTokenizer();
  return { json, tokenizer: causalTokenizerFromJson(json) };
}

/** n_embd 32, 2 layers, blocks of 16: a few ms per step on the cpu backend. */
export function tinyDecoderTrainConfig(
  overrides: (config: TrainConfig) => void = () => undefined,
): TrainConfig {
  const config = defaultTrainConfigCopy('gpt2');
  Object.assign(config.model, {
    d_model: 32,
    n_layers: 2,
    n_heads: 4,
    d_ff: 64,
    max_seq_len: 64,
    dropout: 0,
    attention_dropout: 0,
    layer_norm_eps: 1e-5,
  });
  Object.assign(config.data, { seq_len: 16, split: { train: 0.8, validation: 0.2, test: 0 } });
  Object.assign(config.training, {
    batch_size: 4,
    epochs: 1,
    learning_rate: 5e-3,
    warmup_steps: 2,
    warmup_ratio: 0,
    log_every_steps: 1,
    eval_every_steps: 0,
    checkpoint_every_steps: 0,
    backend: 'cpu',
    early_stopping: { patience: 0, min_delta: 0, metric: 'val_loss' },
  });
  overrides(config);
  return config;
}
