import type { FinetuneBatch, LossName, PairBatch, RankingBatch } from '../losses/encoder-loss.ts';
import { batchKindOf } from '../losses/encoder-loss.ts';
import { tokenizeSentences, type SentenceTokenizer } from '../tokenize.ts';
import type { PairExample, RankingExample } from './types.ts';

/** Token batches for the ranking losses; every example must have the same number of negatives. */
export function rankingBatch(
  tokenizer: SentenceTokenizer,
  examples: readonly RankingExample[],
  maxLength?: number,
): RankingBatch {
  const negatives = examples[0]?.negatives?.length ?? 0;
  if (examples.some((example) => (example.negatives?.length ?? 0) !== negatives)) {
    throw new RangeError('Every example of a batch must have the same number of hard negatives');
  }
  return {
    kind: 'ranking',
    anchors: tokenizeSentences(
      tokenizer,
      examples.map((e) => e.anchor),
      maxLength,
    ),
    positives: tokenizeSentences(
      tokenizer,
      examples.map((e) => e.positive),
      maxLength,
    ),
    negatives: Array.from({ length: negatives }, (_, column) =>
      tokenizeSentences(
        tokenizer,
        examples.map((e) => (e.negatives as string[])[column] as string),
        maxLength,
      ),
    ),
  };
}

/** Token batches for the pair losses (labels 0/1 or normalised scores). */
export function pairBatch(
  tokenizer: SentenceTokenizer,
  examples: readonly PairExample[],
  maxLength?: number,
): PairBatch {
  return {
    kind: 'pairs',
    first: tokenizeSentences(
      tokenizer,
      examples.map((e) => e.text1),
      maxLength,
    ),
    second: tokenizeSentences(
      tokenizer,
      examples.map((e) => e.text2),
      maxLength,
    ),
    labels: examples.map((e) => e.label),
  };
}

/** The batch the loss needs; ranking losses take RankingExamples, the others PairExamples. */
export function batchForLoss(
  loss: LossName,
  tokenizer: SentenceTokenizer,
  examples: readonly RankingExample[] | readonly PairExample[],
  maxLength?: number,
): FinetuneBatch {
  const isRanking = (list: typeof examples): list is readonly RankingExample[] =>
    list.length === 0 || 'anchor' in (list[0] as object);
  if (batchKindOf(loss) === 'ranking') {
    if (!isRanking(examples))
      throw new TypeError(`The ${loss} loss needs (anchor, positive) examples`);
    return rankingBatch(tokenizer, examples, maxLength);
  }
  if (isRanking(examples) && examples.length > 0) {
    throw new TypeError(`The ${loss} loss needs (text1, text2, label) examples`);
  }
  return pairBatch(tokenizer, examples as readonly PairExample[], maxLength);
}
