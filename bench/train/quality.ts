import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { throwIfAborted, yieldToEventLoop } from '../../src/core/abort.ts';
import { SeededRandom } from '../../src/core/model/seeded-random.ts';
import { runTokenizerJob, type CoverageReport } from '../../src/core/tokenizer/train/index.ts';
import type { TrainConfig } from '../../src/core/train/config/index.ts';
import {
  chunkDocuments,
  mlmTokenizerFromJson,
  type MlmData,
  type MlmTokenizer,
  type SequenceSet,
} from '../../src/core/train/data/index.ts';
import {
  buildMlmModel,
  correctCount,
  maskBatch,
  pickRows,
  trainMlm,
  type MlmModel,
} from '../../src/core/train/loop/index.ts';
import { crossEntropy, maskedPositions, mlmLogits } from '../../src/core/train/mlm/loss.ts';

/** Paragraphs of a WikiText-2 file: its non-empty lines, headings (` = Title = `) left out. */
export function wikitextParagraphs(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !/^=.*=$/.test(line));
}

/** SciFact corpus abstracts as `title + " " + text`, one document each. */
export function scifactAbstracts(jsonl: string): string[] {
  return jsonl
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const doc = JSON.parse(line) as { title?: string; text?: string };
      return `${doc.title ?? ''} ${doc.text ?? ''}`.trim();
    });
}

export interface QualityCorpus {
  train: string[];
  test: string[];
  trainChars: number;
  wikitextValidParagraphs: number;
  scifactAbstracts: number;
}

export async function loadQualityCorpus(datasets: string): Promise<QualityCorpus> {
  const read = (file: string) => readFile(path.join(datasets, file), 'utf8');
  const valid = wikitextParagraphs(await read('wikitext-2/valid.txt'));
  const scifact = scifactAbstracts(await read('scifact/corpus.jsonl'));
  const test = wikitextParagraphs(await read('wikitext-2/test.txt'));
  const train = [...valid, ...scifact];
  return {
    train,
    test,
    trainChars: train.reduce((sum, text) => sum + text.length, 0),
    wikitextValidParagraphs: valid.length,
    scifactAbstracts: scifact.length,
  };
}

export interface TrainedBenchTokenizer {
  tokenizer: MlmTokenizer;
  tokenizerJson: string;
  coverage: CoverageReport | null;
  seconds: number;
}

/** A lowercased WordPiece tokenizer trained on `texts`; coverage measured on `heldOut`. */
export async function trainBenchTokenizer(
  texts: readonly string[],
  heldOut: readonly string[],
  vocabSize: number,
  signal?: AbortSignal,
): Promise<TrainedBenchTokenizer> {
  const started = performance.now();
  const job = await runTokenizerJob(
    texts,
    { options: { type: 'wordpiece', vocabSize }, heldOutTexts: heldOut },
    signal ? { signal } : {},
  );
  const tokenizerJson = job.files['tokenizer.json'];
  return {
    tokenizer: mlmTokenizerFromJson(
      JSON.parse(tokenizerJson),
      JSON.parse(job.files['tokenizer_config.json']),
    ),
    tokenizerJson,
    coverage: job.coverage,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Tokenises documents and packs them into full sequences (`chunkDocuments`). */
export async function sequencesOf(
  texts: readonly string[],
  tokenizer: MlmTokenizer,
  seqLen: number,
  signal?: AbortSignal,
): Promise<SequenceSet> {
  const documents: number[][] = [];
  for (const text of texts) {
    documents.push(tokenizer.encode(text));
    if (documents.length % 256 === 0) {
      throwIfAborted(signal);
      await yieldToEventLoop();
    }
  }
  return chunkDocuments(documents, seqLen, tokenizer);
}

export interface MlmEvaluation {
  loss: number;
  accuracy: number;
  perplexity: number;
  masked: number;
  sequences: number;
}

/**
 * Masked-token accuracy and perplexity (exp of the mean cross-entropy over masked positions) on
 * a sequence set, with the 15 % / 80-10-10 masking drawn from a fixed stream per batch
 * (`seed`, `test/<batch>`): every model evaluated with the same seed sees the same masks.
 */
export async function evaluateMlm(
  model: MlmModel,
  tokenizer: MlmTokenizer,
  set: SequenceSet,
  config: TrainConfig,
  seed: number,
  signal?: AbortSignal,
): Promise<MlmEvaluation> {
  const batchSize = config.training.batch_size;
  let lossSum = 0;
  let correct = 0;
  let masked = 0;
  for (let start = 0, batch = 0; start < set.inputIds.length; start += batchSize, batch++) {
    throwIfAborted(signal);
    const count = Math.min(batchSize, set.inputIds.length - start);
    const rows = pickRows(
      set,
      Array.from({ length: count }, (_, i) => start + i),
    );
    const random = new SeededRandom(seed, `test/${batch}`);
    const maskedBatch = maskBatch(rows, tokenizer, config.data, model.config.vocabSize, random);
    if (!maskedBatch) continue;
    const { positions, targets } = maskedPositions(maskedBatch.labels);
    const [loss, right] = tf.tidy(() => {
      const logits = mlmLogits(model.encoder, model.head, maskedBatch, positions, {
        training: false,
      });
      return [crossEntropy(logits, targets), correctCount(logits, targets)];
    });
    lossSum += Number((await loss.data())[0]) * targets.length;
    correct += Number((await right.data())[0]);
    masked += targets.length;
    tf.dispose([loss, right]);
  }
  const loss = lossSum / masked;
  return {
    loss,
    accuracy: correct / masked,
    perplexity: Math.exp(loss),
    masked,
    sequences: set.inputIds.length,
  };
}

/** Evaluates the model `weights` give (or the seed's initial model when undefined). */
export async function evaluateWeights(
  config: TrainConfig,
  tokenizer: MlmTokenizer,
  weights: Uint8Array | undefined,
  set: SequenceSet,
  seed: number,
  signal?: AbortSignal,
): Promise<MlmEvaluation> {
  const { model } = await buildMlmModel(config, tokenizer, weights, seed);
  try {
    return await evaluateMlm(model, tokenizer, set, config, seed, signal);
  } finally {
    model.dispose();
  }
}

export function trainingData(train: SequenceSet): MlmData {
  const empty = { seqLen: train.seqLen, inputIds: [], attentionMask: [], tokens: 0 };
  return {
    train,
    validation: empty,
    test: empty,
    texts: train.inputIds.length,
    emptyTexts: 0,
    fingerprint: 'bench-quality',
  };
}

export interface PretrainResult {
  status: string;
  steps: number;
  tokens: number;
  trainSeconds: number;
  wallSeconds: number;
  lastTrainLoss: number | null;
  mlmSafetensors: Uint8Array;
}

/**
 * Pretrains with `trainMlm` for `maxSteps` (the linear schedule decays to 0 there); `deadline`
 * stops it early after the step under way if the step estimate was too optimistic.
 */
export async function pretrain(
  config: TrainConfig,
  tokenizer: MlmTokenizer,
  data: MlmData,
  maxSteps: number,
  deadline: AbortSignal,
  log: (message: string) => void,
): Promise<PretrainResult> {
  const started = performance.now();
  const run = structuredClone(config);
  run.training.max_steps = maxSteps;
  run.training.epochs = Math.max(
    1,
    Math.ceil((maxSteps * run.training.batch_size) / data.train.inputIds.length),
  );
  run.training.log_every_steps = Math.max(1, Math.round(maxSteps / 20));
  const result = await trainMlm({
    config: run,
    tokenizer,
    data,
    signal: deadline,
    onMetrics: (rows) => {
      for (const row of rows) {
        const v = row.values;
        log(
          `step ${row.step}/${maxSteps} loss ${(v['loss'] ?? NaN).toFixed(3)} ` +
            `acc ${(v['accuracy'] ?? NaN).toFixed(3)} ${Math.round(v['tokens_per_second'] ?? 0)} tok/s`,
        );
      }
    },
  });
  return {
    status: result.status,
    steps: result.step,
    tokens: result.summary.tokens,
    trainSeconds: result.summary.seconds,
    wallSeconds: (performance.now() - started) / 1000,
    lastTrainLoss: result.summary.lastTrain?.loss ?? null,
    mlmSafetensors: result.mlmSafetensors,
  };
}
