import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DECODER_SPECIAL_TOKENS } from '../../src/core/model/decoder/index.ts';
import { trainTokenizer } from '../../src/core/tokenizer/train/index.ts';
import { useBackend } from '../../src/core/train/bert/backend.ts';
import { defaultTrainConfigCopy, type TrainConfig } from '../../src/core/train/config/index.ts';
import {
  causalTokenizerFromJson,
  createGpt2Decoder,
  perplexityOn,
  prepareCausalLmData,
  trainCausalLm,
  type CausalTokenizer,
} from '../../src/core/train/decoder/index.ts';
import type { MlmData } from '../../src/core/train/data/prepare.ts';
import { wikitextParagraphs } from '../train/quality.ts';

export interface PerplexityOptions {
  datasets: string;
  /** Training budget: the step count comes from a short probe. */
  minutes: number;
  /** --quick: a tenth of the test text, no untrained reference. */
  quick: boolean;
  log: (line: string) => void;
}

export interface PerplexityFigure {
  /** The number, or "not measured: <reason>". */
  value: string;
  recipe: string;
}

const SHAPE = { dModel: 128, layers: 2, heads: 2, dFf: 512, seqLen: 128 };
const VOCAB = 8000;
const BATCH = 16;
const LR = 0.001;
const PROBE_STEPS = 4;
const STRIDE = 128;

function decoderTrainConfig(steps: number): TrainConfig {
  const config = defaultTrainConfigCopy();
  Object.assign(config.model, {
    vocab_size: 'auto',
    d_model: SHAPE.dModel,
    n_layers: SHAPE.layers,
    n_heads: SHAPE.heads,
    d_ff: SHAPE.dFf,
    max_seq_len: SHAPE.seqLen,
    dropout: 0.1,
    attention_dropout: 0.1,
  });
  Object.assign(config.data, {
    seq_len: SHAPE.seqLen,
    split: { train: 1, validation: 0, test: 0 },
    seed: 1,
  });
  Object.assign(config.training, {
    batch_size: BATCH,
    epochs: 100,
    max_steps: steps,
    learning_rate: LR,
    warmup_ratio: 0.06,
    schedule: 'linear',
    eval_every_steps: 0,
    checkpoint_every_steps: 0,
    log_every_steps: 50,
    seed: 1,
    backend: 'wasm',
  });
  config.training.early_stopping.patience = 0;
  return config;
}

/**
 * Lumina's own decoder (`src/core/train/decoder`: a GPT-2 in TF.js with the shared training loop)
 * trained from scratch on WikiText-2 valid for the budget, then scored on WikiText-2 test with
 * sliding-window perplexity. The tokenizer is a byte-level BPE trained on valid only.
 */
export async function measurePerplexity(options: PerplexityOptions): Promise<PerplexityFigure> {
  const { log } = options;
  const read = (file: string) => readFile(path.join(options.datasets, 'wikitext-2', file), 'utf8');
  const valid = wikitextParagraphs(await read('valid.txt'));
  const testParagraphs = wikitextParagraphs(await read('test.txt'));
  const test = (
    options.quick ? testParagraphs.slice(0, Math.ceil(testParagraphs.length / 10)) : testParagraphs
  ).join('\n');
  const backend = await useBackend('wasm');
  const trained = await trainTokenizer(valid, {
    type: 'bpe',
    vocabSize: VOCAB,
    minFrequency: 2,
    specialTokens: DECODER_SPECIAL_TOKENS,
  });
  const tokenizer = causalTokenizerFromJson(trained.tokenizerJson);
  const data = await prepareCausalLmData(valid, tokenizer, decoderTrainConfig(1).data);
  log(
    `decoder: ${tokenizer.vocabSize}-token BPE, ${data.train.inputIds.length} blocks of ${SHAPE.seqLen} ` +
      `(${(data.train.tokens / 1e6).toFixed(2)} M tokens) from WikiText-2 valid`,
  );

  const probeStart = performance.now();
  await train(tokenizer, data, PROBE_STEPS, log);
  const perStep = (performance.now() - probeStart) / 1000 / PROBE_STEPS;
  const steps = Math.max(PROBE_STEPS, Math.floor((options.minutes * 60) / perStep));
  log(`decoder: probe ${perStep.toFixed(2)} s/step → ${steps} steps for ${options.minutes} min`);
  const t0 = performance.now();
  const result = await train(tokenizer, data, steps, log);
  const trainSeconds = (performance.now() - t0) / 1000;

  const score = async (weights: typeof result.weights | undefined): Promise<number> => {
    const model = await createGpt2Decoder(result.decoderConfig, weights, { seed: 1 });
    try {
      const figure = await perplexityOn(model, tokenizer, test, {
        blockSize: SHAPE.seqLen,
        stride: STRIDE,
      });
      log(`decoder: perplexity ${figure.perplexity.toFixed(2)} over ${figure.tokens} test tokens`);
      return figure.perplexity;
    } finally {
      model.dispose();
    }
  };
  const trainedPerplexity = await score(result.weights);
  const untrained = options.quick ? null : await score(undefined);
  const epochs = (result.step * BATCH) / data.train.inputIds.length;
  return {
    value:
      trainedPerplexity.toFixed(2) +
      (untrained === null ? '' : ` (untrained, same seed: ${untrained.toFixed(1)})`),
    recipe:
      `GPT-2 d${SHAPE.dModel} L${SHAPE.layers} H${SHAPE.heads} ff${SHAPE.dFf} pos${SHAPE.seqLen}, tied head, ` +
      `byte-level BPE ${tokenizer.vocabSize} trained on WikiText-2 valid; causal LM on WikiText-2 valid ` +
      `(${data.train.inputIds.length} blocks of ${SHAPE.seqLen}), batch ${BATCH}, AdamW lr ${LR}, 6 % warm-up, ` +
      `linear decay, ${result.step} steps (${epochs.toFixed(1)} epochs, ${(trainSeconds / 60).toFixed(1)} min, ` +
      `${result.status}), TF.js ${backend.name} in Node (${backend.detail}); perplexity = exp(mean next-token NLL) ` +
      `over WikiText-2 test${options.quick ? ' (first tenth)' : ''} (paragraphs, headings dropped, joined by ` +
      `newlines), windows of ${SHAPE.seqLen} with stride ${STRIDE}; src/core/train/decoder.`,
  };
}

function train(
  tokenizer: CausalTokenizer,
  data: MlmData,
  steps: number,
  log: (line: string) => void,
): ReturnType<typeof trainCausalLm> {
  return trainCausalLm({
    config: decoderTrainConfig(steps),
    data,
    tokenizer,
    onMetrics: (rows) => {
      for (const row of rows) {
        if (row.split === 'train' && row.step % 100 === 0) {
          log(`decoder: step ${row.step} loss ${(row.values['loss'] ?? Number.NaN).toFixed(3)}`);
        }
      }
    },
  });
}
