import * as tf from '@tensorflow/tfjs';
import { throwIfAborted, yieldToEventLoop } from '../../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import { crossEntropy } from '../mlm/loss.ts';
import type { CausalTokenizer } from './data.ts';
import type { Gpt2Decoder } from './model.ts';

export interface PerplexityOptions {
  /** Tokens per window: at most the model's n_positions. */
  blockSize: number;
  /**
   * How far each window moves. Every token is scored once, in the window where it first
   * appears, with up to `blockSize − stride` tokens of earlier context; stride = blockSize
   * scores disjoint blocks.
   */
  stride: number;
  /** Windows per forward pass (default 8). */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface PerplexityResult {
  /** exp(nll). */
  perplexity: number;
  /** Mean negative log-likelihood per scored token, in nats. */
  nll: number;
  /** Tokens scored: every token of the text but the first. */
  tokens: number;
  windows: number;
}

interface Window {
  begin: number;
  end: number;
  /** First token scored in this window (earlier ones are context only). */
  first: number;
}

/** HF's sliding-window perplexity recipe: windows of blockSize moving by stride. */
export function perplexityWindows(length: number, blockSize: number, stride: number): Window[] {
  if (!Number.isInteger(blockSize) || blockSize < 2) {
    throw new RangeError(`blockSize must be an integer ≥ 2, got ${blockSize}`);
  }
  if (!Number.isInteger(stride) || stride < 1 || stride > blockSize) {
    throw new RangeError(
      `stride must be an integer from 1 to blockSize (${blockSize}), got ${stride}`,
    );
  }
  const windows: Window[] = [];
  let previousEnd = 0;
  for (let begin = 0; previousEnd < length; begin += stride) {
    const end = Math.min(begin + blockSize, length);
    const first = Math.max(previousEnd, begin + 1);
    if (first < end) windows.push({ begin, end, first });
    previousEnd = end;
  }
  return windows;
}

/** Perplexity of token ids under the model: exp of the mean next-token NLL. */
export async function perplexityOfIds(
  model: Gpt2Decoder,
  ids: readonly number[],
  options: PerplexityOptions,
): Promise<PerplexityResult> {
  if (options.blockSize > model.config.nPositions) {
    throw new RangeError(
      `blockSize ${options.blockSize} exceeds the model's n_positions ${model.config.nPositions}`,
    );
  }
  if (ids.length < 2) throw new RangeError('The text has fewer than two tokens to score');
  const windows = perplexityWindows(ids.length, options.blockSize, options.stride);
  const batchSize = options.batchSize ?? 8;
  const progress = new ProgressReporter(options.onProgress);
  progress.start('Scoring perplexity');
  let nllSum = 0;
  let scored = 0;
  for (let w = 0; w < windows.length;) {
    throwIfAborted(options.signal);
    const head = windows[w] as Window;
    const length = head.end - head.begin;
    // Windows of one length share a forward pass (all but possibly the last have blockSize).
    const group: Window[] = [];
    while (
      w < windows.length &&
      group.length < batchSize &&
      (windows[w] as Window).end - (windows[w] as Window).begin === length
    ) {
      group.push(windows[w] as Window);
      w++;
    }
    const rows: number[] = [];
    const targets: number[] = [];
    group.forEach((window, g) => {
      for (let p = window.first; p < window.end; p++) {
        rows.push(g * length + (p - 1 - window.begin));
        targets.push(ids[p] as number);
      }
    });
    const loss = tf.tidy(() => {
      const input = tf.tensor2d(
        group.flatMap((window) => ids.slice(window.begin, window.end)),
        [group.length, length],
        'int32',
      );
      const hidden = model.forward(input, tf.onesLike(input)).reshape([-1, model.config.nEmbd]);
      const logits = model.logits(tf.gather(hidden as tf.Tensor2D, tf.tensor1d(rows, 'int32')));
      return crossEntropy(logits, Int32Array.from(targets));
    });
    nllSum += Number((await loss.data())[0]) * targets.length;
    loss.dispose();
    scored += targets.length;
    progress.update(w, windows.length, `Window ${w} of ${windows.length}`);
    await yieldToEventLoop();
  }
  progress.finish();
  const nll = nllSum / scored;
  return { perplexity: Math.exp(nll), nll, tokens: scored, windows: windows.length };
}

/** Perplexity of a text (tokenised whole, no special tokens) under the model. */
export function perplexityOn(
  model: Gpt2Decoder,
  tokenizer: Pick<CausalTokenizer, 'encode'>,
  text: string,
  options: PerplexityOptions,
): Promise<PerplexityResult> {
  return perplexityOfIds(model, tokenizer.encode(text), options);
}
