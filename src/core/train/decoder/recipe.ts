import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import type { MetricRow } from '../../store/records.ts';
import { defaultTrainConfigCopy } from '../config/defaults.ts';
import type { TrainConfig } from '../config/types.ts';
import { causalTokenizerFromJson, prepareCausalLmData, type CausalTokenizer } from './data.ts';
import { createGpt2Decoder } from './model.ts';
import { perplexityOfIds } from './perplexity.ts';
import { trainDecoderTokenizer } from './tokenizer.ts';
import { trainCausalLm } from './trainer.ts';

export interface DecoderRecipeOptions {
  /** Training text, e.g. WikiText-2 valid.txt (one document per non-empty line). */
  trainText: string;
  /** Evaluation text, e.g. WikiText-2 test.txt. */
  testText: string;
  /** Wall-clock budget for the training steps (tokenizer and evaluation come on top). */
  minutes: number;
  /** Byte-level BPE size (default 4000). */
  vocabSize?: number;
  /** GPT-2 sizes (default n_embd 128, 2 layers, 4 heads, n_inner 512). */
  model?: { d_model?: number; n_layers?: number; n_heads?: number; d_ff?: number };
  /** Training block and evaluation window (default 128). */
  blockSize?: number;
  /** Evaluation stride (default blockSize / 2: each token gets at least half a window of context). */
  stride?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  onMetrics?: (rows: MetricRow[]) => void;
}

export interface DecoderRecipeResult {
  /** Per-token perplexity of the test text under this tokenizer: exp(mean NLL). */
  testPerplexity: number;
  /** exp(total NLL / whitespace-separated words): comparable across tokenizers. */
  testWordPerplexity: number;
  testTokens: number;
  testWords: number;
  /** On the 5 % of training lines held out for validation. */
  validationPerplexity: number | null;
  status: 'completed' | 'early-stopped' | 'stopped';
  steps: number;
  trainTokens: number;
  trainSeconds: number;
  tokensPerSecond: number;
  parameters: number;
  vocabSize: number;
  config: TrainConfig;
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim().length > 0);
}

/** The test text as training sees text: every line's ids followed by the end-of-text id. */
function streamIds(texts: readonly string[], tokenizer: CausalTokenizer): number[] {
  const ids: number[] = [];
  for (const text of texts) {
    for (const id of tokenizer.encode(text)) ids.push(id);
    ids.push(tokenizer.eosId);
  }
  return ids;
}

/**
 * "Train on WikiText-2 valid for N minutes → perplexity on WikiText-2 test" on the active TF.js
 * backend (set it with `useBackend` first): a byte-level BPE trained on the training text, a small
 * GPT-2 trained with the causal-LM loop (AdamW, cosine decay sized to the time budget from a
 * 3-step timing run, clipping 1), then sliding-window perplexity of the test text.
 */
export async function wikiTextDecoderRecipe(
  options: DecoderRecipeOptions,
): Promise<DecoderRecipeResult> {
  const { signal } = options;
  const progress = new ProgressReporter(options.onProgress);
  progress.start('Decoder recipe');
  const blockSize = options.blockSize ?? 128;
  const trainTexts = lines(options.trainText);
  const tokenizerJson = (
    await trainDecoderTokenizer(
      trainTexts,
      { vocabSize: options.vocabSize ?? 4000, modelMaxLength: blockSize },
      signal ? { signal } : {},
    )
  ).tokenizerJson;
  const tokenizer = causalTokenizerFromJson(tokenizerJson);
  progress.update(0.05, 1, 'Tokenizer trained');

  const config = defaultTrainConfigCopy('gpt2');
  Object.assign(config.model, {
    d_model: options.model?.d_model ?? 128,
    n_layers: options.model?.n_layers ?? 2,
    n_heads: options.model?.n_heads ?? 4,
    d_ff: options.model?.d_ff ?? 512,
    max_seq_len: blockSize,
    dropout: 0.1,
    attention_dropout: 0.1,
  });
  Object.assign(config.data, {
    seq_len: blockSize,
    split: { train: 0.95, validation: 0.05, test: 0 },
    seed: options.seed ?? 42,
  });
  Object.assign(config.training, {
    batch_size: options.batchSize ?? 16,
    epochs: 1000,
    learning_rate: options.learningRate ?? 3e-3,
    weight_decay: 0.01,
    warmup_steps: 0,
    warmup_ratio: 0.05,
    schedule: 'cosine',
    max_grad_norm: 1,
    eval_every_steps: 0,
    checkpoint_every_steps: 0,
    log_every_steps: 10,
    seed: options.seed ?? 42,
    early_stopping: { patience: 0, min_delta: 0, metric: 'val_loss' },
  });
  const data = await prepareCausalLmData(
    trainTexts,
    tokenizer,
    config.data,
    signal ? { signal } : {},
  );
  progress.update(0.1, 1, 'Corpus tokenised');

  // Timing run: three steps give the seconds per step, so the cosine decay ends on time.
  const stamps: number[] = [];
  await trainCausalLm({
    config: { ...config, training: { ...config.training, max_steps: 3, log_every_steps: 1 } },
    tokenizer,
    data: { ...data, validation: { ...data.validation, inputIds: [], attentionMask: [] } },
    onMetrics: () => void stamps.push(performance.now()),
    ...(signal ? { signal } : {}),
  });
  const perStep = Math.max(1e-3, ((stamps[2] ?? 0) - (stamps[0] ?? 0)) / 2 / 1000);
  const budget = options.minutes * 60;
  config.training.max_steps = Math.max(1, Math.floor(budget / perStep));

  // The budget is a hard limit too: the loop stops after the step under way.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), budget * 1000);
  const onAbort = () => deadline.abort();
  signal?.addEventListener('abort', onAbort);
  const trainPhase = progress.sub(0.1, 0.8);
  let result;
  try {
    result = await trainCausalLm({
      config,
      tokenizer,
      data,
      signal: deadline.signal,
      onProgress: (event) => trainPhase(event.fraction, 1, event.message),
      ...(options.onMetrics ? { onMetrics: options.onMetrics } : {}),
    });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');

  const model = await createGpt2Decoder(result.decoderConfig, result.weights);
  const testLines = lines(options.testText);
  const evalPhase = progress.sub(0.8, 1);
  try {
    const scored = await perplexityOfIds(model, streamIds(testLines, tokenizer), {
      blockSize,
      stride: options.stride ?? Math.max(1, Math.floor(blockSize / 2)),
      ...(signal ? { signal } : {}),
      onProgress: (event) => evalPhase(event.fraction, 1, event.message),
    });
    const words = testLines.reduce((n, line) => n + line.trim().split(/\s+/).length, 0);
    progress.finish('Decoder recipe done');
    return {
      testPerplexity: scored.perplexity,
      testWordPerplexity: Math.exp((scored.nll * scored.tokens) / words),
      testTokens: scored.tokens,
      testWords: words,
      validationPerplexity: result.summary.lastValidation?.perplexity ?? null,
      status: result.status,
      steps: result.step,
      trainTokens: result.summary.tokens,
      trainSeconds: result.summary.seconds,
      tokensPerSecond: result.summary.tokensPerSecond,
      parameters: [...result.weights.values()].reduce((n, t) => n + t.data.length, 0),
      vocabSize: result.decoderConfig.vocabSize,
      config: result.config,
    };
  } finally {
    model.dispose();
  }
}
