/** How well a trained tokenizer covers held-out text: unknown rate, vocabulary use, fertility. */
import { throwIfAborted, yieldToEventLoop } from '../../abort.ts';
import type { ProgressCallback } from '../../progress.ts';
import { ProgressReporter } from '../../progress.ts';
import type { TrainedEncoder } from './encoder.ts';
import type { TextSource } from './word-counts.ts';

export interface CoverageReport {
  texts: number;
  chars: number;
  /** Tokens of the texts, special tokens not counted. */
  tokens: number;
  words: number;
  unknownTokens: number;
  /** unknownTokens / tokens. */
  unknownRate: number;
  distinctTokens: number;
  /** Fraction of the vocabulary that the texts used. */
  vocabUsed: number;
  charsPerToken: number;
  tokensPerWord: number;
  /** Fraction of pre-tokenized words that became more than one token. */
  wordsSplitRate: number;
}

export async function coverageReport(
  encoder: TrainedEncoder,
  heldOutTexts: TextSource,
  options: { signal?: AbortSignal; onProgress?: ProgressCallback; expectedTexts?: number } = {},
): Promise<CoverageReport> {
  const progress = new ProgressReporter(options.onProgress);
  progress.start('Measuring coverage');
  const seen = new Set<number>();
  let texts = 0;
  let chars = 0;
  let tokens = 0;
  let words = 0;
  let splitWords = 0;
  let unknownTokens = 0;
  let lastYield = Date.now();
  for await (const text of heldOutTexts) {
    const encoding = encoder.encode(text, { addSpecialTokens: false });
    let currentWord = -1;
    let currentTokens = 0;
    const closeWord = () => {
      if (currentWord < 0) return;
      words++;
      if (currentTokens > 1) splitWords++;
    };
    encoding.ids.forEach((id, i) => {
      if (encoding.specialTokensMask[i] === 1) return;
      tokens++;
      seen.add(id);
      if (id === encoder.unkId) unknownTokens++;
      const word = encoding.wordIds[i] ?? -1;
      if (word !== currentWord) {
        closeWord();
        currentWord = word;
        currentTokens = 0;
      }
      currentTokens++;
    });
    closeWord();
    texts++;
    chars += text.length;
    if (Date.now() - lastYield > 40) {
      if (options.expectedTexts) progress.update(texts, options.expectedTexts);
      await yieldToEventLoop();
      throwIfAborted(options.signal);
      lastYield = Date.now();
    }
  }
  progress.finish();
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  return {
    texts,
    chars,
    tokens,
    words,
    unknownTokens,
    unknownRate: ratio(unknownTokens, tokens),
    distinctTokens: seen.size,
    vocabUsed: ratio(seen.size, encoder.vocabSize),
    charsPerToken: ratio(chars, tokens),
    tokensPerWord: ratio(tokens, words),
    wordsSplitRate: ratio(splitWords, words),
  };
}
