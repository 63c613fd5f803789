import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  buildSeededDecoderFolder,
  DECODER_SPECIAL_TOKENS,
  gpt2Config,
  TransformersTextGenerator,
  type Gpt2Config,
} from '../../src/core/model/decoder/index.ts';
import { readModelFolder } from '../../src/cli/read-model-folder.ts';
import { transformersDevice } from '../../src/core/embed/runtime/transformers-env.ts';
import { askGenerative, type RagSource } from '../../src/core/rag/index.ts';
import { trainTokenizer } from '../../src/core/tokenizer/train/index.ts';
import type { TrainedTokenizerJson } from '../../src/core/tokenizer/train/types.ts';

export interface DecoderShape {
  label: string;
  nLayer: number;
  nEmbd: number;
  nHead: number;
  vocabSize: number;
  nPositions: number;
}

/** GPT-2 small (124 M parameters) and a tiny shape whose speed is the ratio baseline. */
export const GPT2_SMALL: DecoderShape = {
  label: 'GPT-2 small shape',
  nLayer: 12,
  nEmbd: 768,
  nHead: 12,
  vocabSize: 50257,
  nPositions: 1024,
};
export const TINY_DECODER: DecoderShape = {
  label: 'tiny',
  nLayer: 2,
  nEmbd: 128,
  nHead: 2,
  vocabSize: 8000,
  nPositions: 1024,
};

export interface SpeedRow {
  shape: DecoderShape;
  parameters: number;
  device: string;
  promptTokens: number[];
  newTokens: number[];
  /** Per measured run. */
  firstTokenMs: number[];
  tokensPerSecond: number[];
  buildSeconds: number;
  loadSeconds: number;
}

/**
 * A byte-level BPE with the decoder's special tokens, trained on `texts`: the prompt is tokenised
 * as a real model's would be (a few hundred tokens of scientific English).
 */
export async function benchTokenizer(
  texts: readonly string[],
  vocabSize: number,
): Promise<TrainedTokenizerJson> {
  const trained = await trainTokenizer(texts, {
    type: 'bpe',
    vocabSize,
    minFrequency: 2,
    specialTokens: DECODER_SPECIAL_TOKENS,
  });
  return trained.tokenizerJson;
}

function configFor(shape: DecoderShape, tokenizer: TrainedTokenizerJson): Gpt2Config {
  const ids = new Map(tokenizer.added_tokens.map((t) => [t.content, t.id]));
  return gpt2Config({
    vocabSize: shape.vocabSize,
    bosTokenId: ids.get('<s>') ?? 0,
    eosTokenId: ids.get('</s>') ?? 2,
    nPositions: shape.nPositions,
    nEmbd: shape.nEmbd,
    nLayer: shape.nLayer,
    nHead: shape.nHead,
  });
}

/**
 * Time to first token and decoding speed of `askGenerative` (the CLI's and the Ask view's path)
 * on a seeded decoder of `shape`: the writer's folder loaded from disk by transformers.js, a RAG
 * prompt assembled from retrieved SciFact passages within `contextTokens`, `newTokens` sampled at
 * temperature 1 (greedy decoding of random weights may hit </s> at once). One untimed warm-up.
 */
export async function measureGeneratorSpeed(
  shape: DecoderShape,
  tokenizer: TrainedTokenizerJson,
  source: RagSource,
  questions: readonly string[],
  options: { contextTokens: number; newTokens: number; log: (line: string) => void },
): Promise<SpeedRow> {
  const { log } = options;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lumina-bench-rag-'));
  try {
    const t0 = performance.now();
    const folder = await buildSeededDecoderFolder({
      config: configFor(shape, tokenizer),
      seed: 1,
      tokenizer,
    });
    const buildSeconds = (performance.now() - t0) / 1000;
    log(
      `${shape.label}: ${(folder.parameters / 1e6).toFixed(1)} M parameters written in ${buildSeconds.toFixed(1)} s`,
    );
    // On disk and back, as `lumina ask --generator <dir>` reads a folder.
    await writeFolder(dir, folder.files);
    folder.files.clear();
    const t1 = performance.now();
    const generator = await TransformersTextGenerator.load(
      { kind: 'files', files: await readModelFolder(dir), name: shape.label },
      { device: 'wasm', dtype: 'fp32' },
    );
    const loadSeconds = (performance.now() - t1) / 1000;
    const row: SpeedRow = {
      shape,
      parameters: folder.parameters,
      device: `${transformersDevice('wasm')} (onnxruntime-node; Lumina's "wasm" device in Node)`,
      promptTokens: [],
      newTokens: [],
      firstTokenMs: [],
      tokensPerSecond: [],
      buildSeconds,
      loadSeconds,
    };
    try {
      const ask = (question: string, newTokens: number) =>
        askGenerative(source, question, generator, {
          mode: 'bm25',
          k: 10,
          budgetTokens: options.contextTokens,
          maxNewTokens: newTokens,
          temperature: 1,
          topP: 1,
          // Timing, not answering: never abstain, whatever the evidence.
          thresholds: { lexical: 0, semantic: 0 },
        });
      await ask(questions[0] ?? '', 4);
      for (const question of questions) {
        const answer = await ask(question, options.newTokens);
        const promptTokens = generator.counter.count(answer.prompt);
        row.promptTokens.push(promptTokens);
        row.newTokens.push(answer.tokens);
        row.firstTokenMs.push(answer.firstTokenMs ?? Number.NaN);
        row.tokensPerSecond.push(answer.tokensPerSecond ?? Number.NaN);
        log(
          `${shape.label}: prompt ${promptTokens} tokens, ${answer.tokens} new, first token ` +
            `${(answer.firstTokenMs ?? Number.NaN).toFixed(0)} ms, ${(answer.tokensPerSecond ?? Number.NaN).toFixed(1)} tokens/s`,
        );
      }
    } finally {
      await generator.dispose();
    }
    return row;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeFolder(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  for (const [relative, bytes] of files) {
    const target = path.join(dir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
