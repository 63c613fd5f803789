import type { BertConfig } from '../../model/bert-config.ts';

/**
 * What the caller measured during training. Every field is optional: the card shows only what
 * is given, so it never states a number nobody measured.
 */
export interface TrainingSummary {
  /** Optimizer steps taken. */
  steps?: number;
  epochs?: number;
  /** Tokens the model was trained on (padding excluded). */
  tokens?: number;
  trainLoss?: number;
  validationLoss?: number;
  /** Masked-token accuracy on the validation split, 0..1. */
  maskedAccuracy?: number;
  perplexity?: number;
  /** Wall-clock training time. */
  seconds?: number;
  /** TF.js backend the run used (webgpu, wasm, cpu). */
  backend?: string;
  seed?: number;
  /** Free text: the corpus, its size, the split. */
  data?: string;
  /** Further measured values, shown under their own labels. */
  metrics?: Readonly<Record<string, number | string>>;
}

export interface ModelCardInput {
  name: string;
  config: BertConfig;
  parameters: number;
  pooling: 'mean' | 'cls';
  normalize: boolean;
  maxSeqLength: number;
  hasMlmHead: boolean;
  training?: TrainingSummary;
}

const LABELS: readonly [keyof Omit<TrainingSummary, 'data' | 'metrics'>, string][] = [
  ['steps', 'Optimizer steps'],
  ['epochs', 'Epochs'],
  ['tokens', 'Training tokens'],
  ['trainLoss', 'Train loss (MLM)'],
  ['validationLoss', 'Validation loss (MLM)'],
  ['maskedAccuracy', 'Masked-token accuracy'],
  ['perplexity', 'Perplexity'],
  ['seconds', 'Training time (s)'],
  ['backend', 'Backend'],
  ['seed', 'Seed'],
];

/** README.md for the exported folder, with Hub front matter so the Hub files it correctly. */
export function modelCard(input: ModelCardInput): string {
  const { config } = input;
  const lines = [
    '---',
    'library_name: sentence-transformers',
    'pipeline_tag: sentence-similarity',
    'tags:',
    '  - sentence-transformers',
    '  - feature-extraction',
    '  - bert',
    '  - lumina',
    '---',
    '',
    `# ${input.name}`,
    '',
    `A BERT encoder pretrained with masked-language modelling in Lumina (TensorFlow.js), ` +
      `exported in the Hugging Face layout.`,
    '',
    '## Architecture',
    '',
    `- ${config.numHiddenLayers} layers, hidden size ${config.hiddenSize}, ` +
      `${config.numAttentionHeads} attention heads, intermediate size ${config.intermediateSize}`,
    `- vocabulary ${config.vocabSize}, max positions ${config.maxPositionEmbeddings}`,
    `- ${input.parameters.toLocaleString('en-US')} parameters`,
    `- embeddings: ${input.pooling} pooling` +
      `${input.normalize ? ', L2-normalised' : ''}, max sequence length ${input.maxSeqLength}`,
    '',
    '## Files',
    '',
    '- `model.safetensors`: the encoder (`BertModel` tensor names)',
    '- `onnx/model.onnx`: the same encoder for transformers.js / ONNX Runtime ' +
      '(`last_hidden_state` output)',
    '- `modules.json`, `1_Pooling/config.json`, `sentence_bert_config.json`: sentence-transformers',
  ];
  if (input.hasMlmHead) {
    lines.push(
      '- `mlm/`: the same encoder with its masked-LM head (`BertForMaskedLM`), to continue training',
    );
  }
  const training = input.training;
  const rows: [string, string][] = LABELS.flatMap(([key, label]): [string, string][] => {
    const value = training?.[key];
    return value === undefined ? [] : [[label, formatValue(value)]];
  });
  for (const [label, value] of Object.entries(training?.metrics ?? {})) {
    rows.push([label, formatValue(value)]);
  }
  if (rows.length || training?.data) {
    lines.push('', '## Training', '');
    if (training?.data) lines.push(training.data, '');
    if (rows.length) {
      lines.push('| Measure | Value |', '| --- | --- |');
      for (const [label, value] of rows)
        lines.push(`| ${escapeCell(label)} | ${escapeCell(value)} |`);
    }
  }
  lines.push(
    '',
    '## Use',
    '',
    '```python',
    'from sentence_transformers import SentenceTransformer',
    `model = SentenceTransformer("path/to/${input.name}")`,
    'embeddings = model.encode(["A sentence to embed."])',
    '```',
    '',
  );
  return lines.join('\n');
}

function formatValue(value: number | string): string {
  if (typeof value === 'string') return value;
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
