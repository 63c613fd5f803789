import type { HiddenAct, ModelArchitecture, TrainConfig } from './types.ts';

/**
 * A small BERT (4 layers, 256 wide) that trains in minutes on a laptop GPU, with the usual MLM
 * recipe: 15 % masking split 80/10/10, AdamW at 5e-4 with linear decay after 6 % warmup.
 */
export const defaultTrainConfig: TrainConfig = {
  model: {
    architecture: 'bert',
    vocab_size: 'auto',
    d_model: 256,
    n_layers: 4,
    n_heads: 4,
    d_ff: 1024,
    max_seq_len: 512,
    type_vocab_size: 2,
    dropout: 0.1,
    attention_dropout: 0.1,
    layer_norm_eps: 1e-12,
    hidden_act: 'gelu',
    initializer_range: 0.02,
  },
  data: {
    dataset: null,
    corpus_files: [],
    tokenizer: 'bert-base-uncased',
    seq_len: 128,
    max_samples: null,
    split: { train: 0.8, validation: 0.1, test: 0.1 },
    seed: 42,
    mask_probability: 0.15,
    masking: { mask: 0.8, random: 0.1, keep: 0.1 },
  },
  training: {
    batch_size: 32,
    epochs: 3,
    max_steps: null,
    learning_rate: 5e-4,
    weight_decay: 0.01,
    adam_beta1: 0.9,
    adam_beta2: 0.999,
    adam_epsilon: 1e-6,
    warmup_steps: 0,
    warmup_ratio: 0.06,
    schedule: 'linear',
    grad_accumulation_steps: 1,
    max_grad_norm: 1,
    mixed_precision: 'off',
    early_stopping: { patience: 3, min_delta: 0, metric: 'val_loss' },
    checkpoint_every_steps: 500,
    eval_every_steps: 500,
    log_every_steps: 10,
    seed: 42,
    backend: 'webgpu',
  },
};

/** The one activation each architecture implements. */
export const ARCHITECTURE_ACTIVATION: Readonly<Record<ModelArchitecture, HiddenAct>> = {
  bert: 'gelu',
  gpt2: 'gelu_new',
};

/** The model defaults that differ between the architectures (HF BertConfig / GPT2Config). */
const ARCHITECTURE_MODEL_DEFAULTS: Readonly<
  Record<ModelArchitecture, Pick<TrainConfig['model'], 'hidden_act' | 'layer_norm_eps'>>
> = {
  bert: { hidden_act: 'gelu', layer_norm_eps: 1e-12 },
  gpt2: { hidden_act: 'gelu_new', layer_norm_eps: 1e-5 },
};

/**
 * A fresh copy of the defaults for an architecture: gpt2 takes the same sizes and recipe as
 * bert, with GPT-2's tanh GELU and LayerNorm epsilon.
 */
export function defaultTrainConfigCopy(architecture: ModelArchitecture = 'bert'): TrainConfig {
  const config = structuredClone(defaultTrainConfig);
  Object.assign(config.model, { architecture, ...ARCHITECTURE_MODEL_DEFAULTS[architecture] });
  return config;
}
