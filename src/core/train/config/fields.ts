/**
 * One table describes every config field: its type and range (validation), its label and
 * explanation (the form and the YAML comments) and the other names it may be written under.
 */

export type FieldKind =
  | { type: 'integer'; min: number; max?: number; nullMeans?: string }
  | {
      type: 'number';
      min: number;
      /** true: the value must be strictly above min */
      aboveMin?: boolean;
      max?: number;
      /** true: the value must be strictly below max */
      belowMax?: boolean;
    }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'integer-or-auto'; min: number }
  | { type: 'string'; nullMeans?: string }
  | { type: 'string-list' };

export interface FieldSpec {
  /** canonical dotted path, e.g. `training.learning_rate` */
  path: string;
  label: string;
  /** one line: shown under the form field and written as the YAML comment */
  doc: string;
  kind: FieldKind;
}

const int = (min: number, max?: number): FieldKind => ({ type: 'integer', min, max });
const positive: FieldKind = { type: 'number', min: 0, aboveMin: true };
const ratio: FieldKind = { type: 'number', min: 0, max: 1 };
const openRatio: FieldKind = { type: 'number', min: 0, max: 1, belowMax: true };

export const SECTIONS = ['model', 'data', 'training'] as const;
export type SectionName = (typeof SECTIONS)[number];

export const SECTION_DOCS: Record<SectionName, string> = {
  model:
    'Architecture and sizes: a BERT encoder (masked LM) or a GPT-2 decoder (causal LM); written to config.json with HF names.',
  data: 'Corpus, tokenizer, splits and (bert only) masking.',
  training: 'Optimiser, schedule, evaluation, checkpoints and backend.',
};

/** Objects inside sections, with their explanation. */
export const GROUP_DOCS: Record<string, string> = {
  'data.split': 'Train / validation / test shares of the texts; they must add up to 1.',
  'data.masking':
    'bert only: what happens to a masked position (80 % mask, 10 % random, 10 % keep).',
  'training.early_stopping':
    'Stop when the metric has not improved by min_delta for `patience` evaluations, keeping the best weights.',
};

export const FIELDS: readonly FieldSpec[] = [
  {
    path: 'model.architecture',
    label: 'Architecture',
    doc: '"bert": encoder, masked-LM pretraining; "gpt2": decoder, causal-LM pretraining (sizes read as n_embd, n_layer, n_head, n_inner, n_positions).',
    kind: { type: 'enum', values: ['bert', 'gpt2'] },
  },
  {
    path: 'model.vocab_size',
    label: 'Vocabulary size',
    doc: '"auto" takes the tokenizer\'s vocabulary size.',
    kind: { type: 'integer-or-auto', min: 1 },
  },
  {
    path: 'model.d_model',
    label: 'Hidden size (d_model)',
    doc: 'Width of every layer (HF hidden_size); must divide by n_heads.',
    kind: int(1),
  },
  {
    path: 'model.n_layers',
    label: 'Layers',
    doc: 'Number of transformer layers (HF num_hidden_layers).',
    kind: int(1),
  },
  {
    path: 'model.n_heads',
    label: 'Attention heads',
    doc: 'Heads per layer (HF num_attention_heads).',
    kind: int(1),
  },
  {
    path: 'model.d_ff',
    label: 'Feed-forward size (d_ff)',
    doc: 'Inner width of the feed-forward block (HF intermediate_size), usually 4 × d_model.',
    kind: int(1),
  },
  {
    path: 'model.max_seq_len',
    label: 'Max positions',
    doc: 'Longest sequence the model can take (HF max_position_embeddings); at least data.seq_len.',
    kind: int(1),
  },
  {
    path: 'model.type_vocab_size',
    label: 'Token types',
    doc: 'bert only: number of segment ids (HF type_vocab_size); gpt2 ignores the default and rejects other values.',
    kind: int(1),
  },
  {
    path: 'model.dropout',
    label: 'Dropout',
    doc: 'Dropout on embeddings and layer outputs (HF hidden_dropout_prob), 0 to <1.',
    kind: openRatio,
  },
  {
    path: 'model.attention_dropout',
    label: 'Attention dropout',
    doc: 'Dropout on attention weights (HF attention_probs_dropout_prob), 0 to <1.',
    kind: openRatio,
  },
  {
    path: 'model.layer_norm_eps',
    label: 'LayerNorm epsilon',
    doc: 'Added to the variance in every LayerNorm (default bert 1e-12, gpt2 1e-5).',
    kind: positive,
  },
  {
    path: 'model.hidden_act',
    label: 'Activation',
    doc: 'bert: exact (erf) "gelu"; gpt2: tanh "gelu_new". Left out, the architecture\'s own.',
    kind: { type: 'enum', values: ['gelu', 'gelu_new'] },
  },
  {
    path: 'model.initializer_range',
    label: 'Init std',
    doc: 'Standard deviation of the initial weights.',
    kind: positive,
  },

  {
    path: 'data.dataset',
    label: 'Dataset',
    doc: "Id of a dataset in Lumina's library; null when corpus_files are given.",
    kind: { type: 'string', nullMeans: 'none' },
  },
  {
    path: 'data.corpus_files',
    label: 'Corpus files',
    doc: 'Text files to train on (CLI); [] when a library dataset is used.',
    kind: { type: 'string-list' },
  },
  {
    path: 'data.tokenizer',
    label: 'Tokenizer',
    doc: 'A model folder name, a path to tokenizer.json, or stored:<id> for one trained in Lumina.',
    kind: { type: 'string' },
  },
  {
    path: 'data.seq_len',
    label: 'Sequence length',
    doc: 'Tokens per training sequence, special tokens included.',
    kind: int(3),
  },
  {
    path: 'data.max_samples',
    label: 'Max samples',
    doc: 'Use at most this many texts; null uses all.',
    kind: { type: 'integer', min: 1, nullMeans: 'all' },
  },
  {
    path: 'data.split.train',
    label: 'Train share',
    doc: 'Share of texts for training.',
    kind: ratio,
  },
  {
    path: 'data.split.validation',
    label: 'Validation share',
    doc: 'Share for validation loss and early stopping.',
    kind: ratio,
  },
  {
    path: 'data.split.test',
    label: 'Test share',
    doc: 'Share held out for the final evaluation.',
    kind: ratio,
  },
  { path: 'data.seed', label: 'Data seed', doc: 'Seeds the split and the masking.', kind: int(0) },
  {
    path: 'data.mask_probability',
    label: 'Mask probability',
    doc: 'bert only: share of tokens chosen for the MLM loss (BERT: 0.15).',
    kind: { type: 'number', min: 0, aboveMin: true, max: 1, belowMax: true },
  },
  {
    path: 'data.masking.mask',
    label: 'Replace by [MASK]',
    doc: 'Share of chosen tokens replaced by the mask token.',
    kind: ratio,
  },
  {
    path: 'data.masking.random',
    label: 'Replace by random',
    doc: 'Share replaced by a random token.',
    kind: ratio,
  },
  { path: 'data.masking.keep', label: 'Keep', doc: 'Share left unchanged.', kind: ratio },

  {
    path: 'training.batch_size',
    label: 'Batch size',
    doc: 'Sequences per forward pass.',
    kind: int(1),
  },
  {
    path: 'training.epochs',
    label: 'Epochs',
    doc: 'Passes over the training split.',
    kind: int(1),
  },
  {
    path: 'training.max_steps',
    label: 'Max steps',
    doc: 'Stop after this many optimiser steps; null runs all epochs.',
    kind: { type: 'integer', min: 1, nullMeans: 'no limit' },
  },
  {
    path: 'training.learning_rate',
    label: 'Learning rate',
    doc: 'Peak learning rate of AdamW.',
    kind: positive,
  },
  {
    path: 'training.weight_decay',
    label: 'Weight decay',
    doc: 'Decoupled (AdamW) weight decay.',
    kind: { type: 'number', min: 0 },
  },
  {
    path: 'training.adam_beta1',
    label: 'Adam β1',
    doc: 'First-moment decay, 0 to <1.',
    kind: openRatio,
  },
  {
    path: 'training.adam_beta2',
    label: 'Adam β2',
    doc: 'Second-moment decay, 0 to <1.',
    kind: openRatio,
  },
  {
    path: 'training.adam_epsilon',
    label: 'Adam ε',
    doc: 'Added to the denominator of the update.',
    kind: positive,
  },
  {
    path: 'training.warmup_steps',
    label: 'Warmup steps',
    doc: 'Linear warmup length in steps; use this or warmup_ratio.',
    kind: int(0),
  },
  {
    path: 'training.warmup_ratio',
    label: 'Warmup ratio',
    doc: 'Warmup as a share of all steps, 0 to <1; use this or warmup_steps.',
    kind: openRatio,
  },
  {
    path: 'training.schedule',
    label: 'LR schedule',
    doc: 'Decay after warmup: linear, cosine or constant.',
    kind: { type: 'enum', values: ['linear', 'cosine', 'constant'] },
  },
  {
    path: 'training.grad_accumulation_steps',
    label: 'Gradient accumulation',
    doc: 'Batches summed per optimiser step (effective batch = batch_size × this).',
    kind: int(1),
  },
  {
    path: 'training.max_grad_norm',
    label: 'Max grad norm',
    doc: 'Clip the global gradient norm to this; 0 turns clipping off.',
    kind: { type: 'number', min: 0 },
  },
  {
    path: 'training.mixed_precision',
    label: 'Mixed precision',
    doc: '"fp16" only where the backend supports float16; otherwise "off".',
    kind: { type: 'enum', values: ['off', 'fp16'] },
  },
  {
    path: 'training.early_stopping.patience',
    label: 'Patience',
    doc: 'Evaluations without improvement before stopping; 0 turns early stopping off.',
    kind: int(0),
  },
  {
    path: 'training.early_stopping.min_delta',
    label: 'Min delta',
    doc: 'Smallest decrease that counts as an improvement.',
    kind: { type: 'number', min: 0 },
  },
  {
    path: 'training.early_stopping.metric',
    label: 'Metric',
    doc: 'Watched metric (validation loss).',
    kind: { type: 'enum', values: ['val_loss'] },
  },
  {
    path: 'training.checkpoint_every_steps',
    label: 'Checkpoint every',
    doc: 'Steps between checkpoints; 0 checkpoints only at epoch ends.',
    kind: int(0),
  },
  {
    path: 'training.eval_every_steps',
    label: 'Evaluate every',
    doc: 'Steps between validation runs; 0 evaluates only at epoch ends.',
    kind: int(0),
  },
  {
    path: 'training.log_every_steps',
    label: 'Log every',
    doc: 'Steps between logged metrics.',
    kind: int(1),
  },
  {
    path: 'training.seed',
    label: 'Training seed',
    doc: 'Seeds weight initialisation, shuffling and dropout.',
    kind: int(0),
  },
  {
    path: 'training.backend',
    label: 'Backend',
    doc: 'TF.js backend: webgpu, wasm or cpu.',
    kind: { type: 'enum', values: ['webgpu', 'wasm', 'cpu'] },
  },
];

export const FIELD_BY_PATH: ReadonlyMap<string, FieldSpec> = new Map(
  FIELDS.map((f) => [f.path, f]),
);

/** Every object path (sections and groups) below the root. */
export const GROUP_PATHS: ReadonlySet<string> = new Set([...SECTIONS, ...Object.keys(GROUP_DOCS)]);

export interface Alias {
  /** where the value goes */
  to: string;
  /** converts a value written under the alias (LuminaLM's boolean use_mixed_precision) */
  convert?: (value: unknown) => unknown;
}

/**
 * Other names accepted on input, by the dotted path they are written at: HF config.json names,
 * LuminaLM `config.yaml` names (which keep batch size, learning rate, epochs and patience in
 * `model:`), and common short forms. Output always uses the canonical names.
 */
export const ALIASES: ReadonlyMap<string, Alias> = new Map<string, Alias>([
  ['model.hidden_size', { to: 'model.d_model' }],
  ['model.n_embd', { to: 'model.d_model' }],
  ['model.num_hidden_layers', { to: 'model.n_layers' }],
  ['model.num_layers', { to: 'model.n_layers' }],
  ['model.n_layer', { to: 'model.n_layers' }],
  ['model.num_attention_heads', { to: 'model.n_heads' }],
  ['model.num_heads', { to: 'model.n_heads' }],
  ['model.n_head', { to: 'model.n_heads' }],
  ['model.intermediate_size', { to: 'model.d_ff' }],
  ['model.max_position_embeddings', { to: 'model.max_seq_len' }],
  ['model.hidden_dropout_prob', { to: 'model.dropout' }],
  ['model.attention_probs_dropout_prob', { to: 'model.attention_dropout' }],
  ['model.layer_norm_epsilon', { to: 'model.layer_norm_eps' }],
  ['model.n_positions', { to: 'model.max_seq_len' }],
  ['model.n_inner', { to: 'model.d_ff' }],
  ['model.activation_function', { to: 'model.hidden_act' }],
  ['model.resid_pdrop', { to: 'model.dropout' }],
  ['model.attn_pdrop', { to: 'model.attention_dropout' }],
  ['model.src_seq_len', { to: 'data.seq_len' }],
  ['model.batch_size', { to: 'training.batch_size' }],
  ['model.learning_rate', { to: 'training.learning_rate' }],
  ['model.epochs', { to: 'training.epochs' }],
  ['model.patience', { to: 'training.early_stopping.patience' }],
  ['data.max_seq_length', { to: 'data.seq_len' }],
  ['data.train_split', { to: 'data.split.train' }],
  ['data.val_split', { to: 'data.split.validation' }],
  ['data.test_split', { to: 'data.split.test' }],
  ['data.split.val', { to: 'data.split.validation' }],
  ['data.mlm_probability', { to: 'data.mask_probability' }],
  ['training.lr', { to: 'training.learning_rate' }],
  ['training.num_epochs', { to: 'training.epochs' }],
  ['training.gradient_accumulation_steps', { to: 'training.grad_accumulation_steps' }],
  ['training.patience', { to: 'training.early_stopping.patience' }],
  ['training.early_stopping_patience', { to: 'training.early_stopping.patience' }],
  ['training.min_delta', { to: 'training.early_stopping.min_delta' }],
  ['training.validation_steps', { to: 'training.eval_every_steps' }],
  ['training.lr_scheduler_type', { to: 'training.schedule' }],
  ['training.dropout', { to: 'model.dropout' }],
  [
    'training.use_mixed_precision',
    {
      to: 'training.mixed_precision',
      convert: (value) => (value === true ? 'fp16' : value === false ? 'off' : value),
    },
  ],
]);

/** The names that may be written directly under a group path (for "did you mean"). */
export function namesUnder(parent: string): string[] {
  const prefix = parent === '' ? '' : `${parent}.`;
  const names = new Set<string>();
  const direct = (path: string) => {
    if (!path.startsWith(prefix)) return;
    const rest = path.slice(prefix.length);
    if (!rest.includes('.')) names.add(rest);
  };
  for (const field of FIELDS) direct(field.path);
  for (const group of GROUP_PATHS) direct(group);
  for (const alias of ALIASES.keys()) direct(alias);
  return [...names];
}
