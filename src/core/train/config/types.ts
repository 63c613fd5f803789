/**
 * The training config: model, data and training sections. Keys are snake_case so that the
 * object, its YAML file and the form all use the same names (LuminaLM's `config.yaml` style).
 */

export type TrainBackend = 'webgpu' | 'wasm' | 'cpu';
export type LrSchedule = 'linear' | 'cosine' | 'constant';
export type MixedPrecision = 'off' | 'fp16';
/** bert: encoder trained with masked LM; gpt2: decoder trained with causal LM. */
export type ModelArchitecture = 'bert' | 'gpt2';
/** HF names: "gelu" is the exact (erf) GELU of BERT, "gelu_new" the tanh GELU of GPT-2. */
export type HiddenAct = 'gelu' | 'gelu_new';

export interface ModelSection {
  /** Decides the objective too: bert trains with masked LM, gpt2 with causal LM. */
  architecture: ModelArchitecture;
  /** 'auto' takes the size of the tokenizer's vocabulary. */
  vocab_size: number | 'auto';
  /** hidden size */
  d_model: number;
  n_layers: number;
  n_heads: number;
  /** feed-forward (intermediate) size */
  d_ff: number;
  /** position embeddings: the longest sequence the model can ever take */
  max_seq_len: number;
  /** bert only: a decoder has no segment embeddings. */
  type_vocab_size: number;
  dropout: number;
  attention_dropout: number;
  layer_norm_eps: number;
  /** Each architecture implements exactly one: bert "gelu" (erf), gpt2 "gelu_new" (tanh). */
  hidden_act: HiddenAct;
  initializer_range: number;
}

export interface SplitSection {
  train: number;
  validation: number;
  test: number;
}

export interface MaskingSection {
  /** share of masked positions replaced by the mask token */
  mask: number;
  /** share replaced by a random token */
  random: number;
  /** share left unchanged */
  keep: number;
}

export interface DataSection {
  /** id of a dataset in Lumina's store; null when corpus_files are given instead */
  dataset: string | null;
  /** text files (CLI); empty when a stored dataset is used */
  corpus_files: string[];
  /** a model folder name, a path to tokenizer.json, or `stored:<id>` for one trained in Lumina */
  tokenizer: string;
  seq_len: number;
  /** null uses every text */
  max_samples: number | null;
  split: SplitSection;
  seed: number;
  mask_probability: number;
  masking: MaskingSection;
}

export interface EarlyStoppingSection {
  /** evaluations without improvement before stopping; 0 turns early stopping off */
  patience: number;
  min_delta: number;
  metric: 'val_loss';
}

export interface TrainingSection {
  batch_size: number;
  epochs: number;
  /** null runs every epoch to the end */
  max_steps: number | null;
  learning_rate: number;
  weight_decay: number;
  adam_beta1: number;
  adam_beta2: number;
  adam_epsilon: number;
  warmup_steps: number;
  warmup_ratio: number;
  schedule: LrSchedule;
  grad_accumulation_steps: number;
  /** 0 turns gradient clipping off */
  max_grad_norm: number;
  mixed_precision: MixedPrecision;
  early_stopping: EarlyStoppingSection;
  /** 0 checkpoints only at the end of each epoch */
  checkpoint_every_steps: number;
  /** 0 evaluates only at the end of each epoch */
  eval_every_steps: number;
  log_every_steps: number;
  seed: number;
  backend: TrainBackend;
}

export interface TrainConfig {
  model: ModelSection;
  data: DataSection;
  training: TrainingSection;
}

export type ConfigIssueCode = 'yaml' | 'unknown-key' | 'duplicate' | 'type' | 'conflict';

/** One problem with a config, named by its canonical dotted path. */
export interface ConfigIssue {
  /** yaml: not readable YAML; type: wrong type or out of range; conflict: fields disagree */
  code: ConfigIssueCode;
  /** '' for the whole file */
  path: string;
  message: string;
  /** the key as the user wrote it, when that was an alias (e.g. `training.lr`) */
  writtenAs?: string;
  /** 1-based, only for configs read from YAML */
  line?: number;
  column?: number;
}

export type ConfigResult =
  | { ok: true; config: TrainConfig; issues: [] }
  | { ok: false; config: null; issues: ConfigIssue[] };
