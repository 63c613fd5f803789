import { spearman, pearson } from '../../eval/correlation.ts';
import {
  averagePrecisionAt,
  ndcgAt,
  rankRun,
  recallAt,
  reciprocalRankAt,
  type Qrels,
} from '../../eval/metrics.ts';
import type { BeirDataset } from '../../eval/beir.ts';
import { beirDocumentText } from '../../eval/beir.ts';
import { ProgressReporter } from '../../progress.ts';
import { searchBlocksBatch } from '../../search/exact.ts';
import type { PairExample, RankingExample } from '../data/types.ts';
import {
  encodeSentences,
  pairedCosines,
  type EncodeOptions,
  type SentenceModel,
} from '../encode.ts';
import { averagePrecision, bestAccuracyThreshold, bestF1Threshold } from './threshold.ts';

export type Metrics = Record<string, number>;

/** Something the training loop can run every N steps and on demand. */
export interface Evaluator {
  name: string;
  /** The metric early stopping and model selection follow (higher is better). */
  primaryMetric: string;
  evaluate(model: SentenceModel, options?: EncodeOptions): Promise<Metrics>;
}

/** Queries, corpus and judgements for retrieval evaluation. */
export interface RetrievalSet {
  queries: ReadonlyMap<string, string>;
  corpus: readonly { id: string; text: string }[];
  qrels: Qrels;
}

/**
 * Held-out (anchor, positive) pairs as a retrieval task: each anchor is a query whose one relevant
 * document is its positive; the corpus is every distinct positive (and hard negative) text.
 */
export function retrievalSetFromPairs(examples: readonly RankingExample[]): RetrievalSet {
  const docIds = new Map<string, string>();
  const docId = (text: string): string => {
    let id = docIds.get(text);
    if (id === undefined) {
      id = `d${docIds.size}`;
      docIds.set(text, id);
    }
    return id;
  };
  const queries = new Map<string, string>();
  const qrels = new Map<string, Map<string, number>>();
  examples.forEach((example, i) => {
    const queryId = `q${i}`;
    queries.set(queryId, example.anchor);
    qrels.set(queryId, new Map([[docId(example.positive), 1]]));
    for (const negative of example.negatives ?? []) docId(negative);
  });
  return { queries, qrels, corpus: [...docIds].map(([text, id]) => ({ id, text })) };
}

/** A BEIR split (from loadBeir) as a retrieval set; documents read as title + text. */
export function retrievalSetFromBeir(dataset: BeirDataset): RetrievalSet {
  return {
    queries: dataset.queries,
    qrels: dataset.qrels,
    corpus: dataset.corpus.map((doc) => ({ id: doc.id, text: beirDocumentText(doc) })),
  };
}

/** Retrieval depth: the deepest cut-off reported. */
const RETRIEVAL_DEPTH = 100;

/**
 * nDCG@10, MRR@10, MAP@100 and Recall@1/10/100 by exact cosine top-100 over the corpus, with
 * trec_eval's definitions (src/core/eval), averaged over every judged query.
 */
export async function evaluateRetrieval(
  model: SentenceModel,
  set: RetrievalSet,
  options: EncodeOptions = {},
): Promise<Metrics> {
  const progress = new ProgressReporter(options.onProgress);
  progress.start('Retrieval evaluation');
  const judged = [...set.qrels.keys()].filter((id) => set.queries.has(id));
  if (judged.length < set.qrels.size) {
    throw new RangeError(`${set.qrels.size - judged.length} judged queries have no text`);
  }
  const sub = (from: number, to: number, label: string): EncodeOptions => ({
    ...options,
    label,
    onProgress: (event) => {
      if (event.status === 'progress') progress.sub(from, to)(event.done, event.total, label);
    },
  });
  const corpusVectors = await encodeSentences(
    model,
    set.corpus.map((doc) => doc.text),
    sub(0, 0.8, 'Encoding corpus'),
  );
  const queryVectors = await encodeSentences(
    model,
    judged.map((id) => set.queries.get(id) as string),
    sub(0.8, 0.95, 'Encoding queries'),
  );
  const dims = corpusVectors[0]?.length ?? 0;
  const vectors = new Float32Array(corpusVectors.length * dims);
  corpusVectors.forEach((vector, i) => vectors.set(vector, i * dims));
  const block = { dims, count: set.corpus.length, vectors, chunkIds: set.corpus.map((d) => d.id) };
  const hits = await searchBlocksBatch(
    [block],
    queryVectors,
    Math.min(RETRIEVAL_DEPTH, set.corpus.length),
    {
      metric: 'cosine',
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  const sums = { ndcg10: 0, mrr10: 0, map100: 0, recall1: 0, recall10: 0, recall100: 0 };
  judged.forEach((queryId, q) => {
    const ranking = rankRun((hits[q] ?? []).map((hit) => ({ id: hit.chunkId, score: hit.score })));
    const relevance = set.qrels.get(queryId) as ReadonlyMap<string, number>;
    sums.ndcg10 += ndcgAt(ranking, relevance, 10);
    sums.mrr10 += reciprocalRankAt(ranking, relevance, 10);
    sums.map100 += averagePrecisionAt(ranking, relevance, 100);
    sums.recall1 += recallAt(ranking, relevance, 1);
    sums.recall10 += recallAt(ranking, relevance, 10);
    sums.recall100 += recallAt(ranking, relevance, 100);
  });
  const mean = (sum: number): number => (judged.length > 0 ? sum / judged.length : 0);
  progress.finish('Retrieval evaluation done');
  return {
    'ndcg@10': mean(sums.ndcg10),
    'mrr@10': mean(sums.mrr10),
    'map@100': mean(sums.map100),
    'recall@1': mean(sums.recall1),
    'recall@10': mean(sums.recall10),
    'recall@100': mean(sums.recall100),
    queries: judged.length,
  };
}

async function pairCosines(
  model: SentenceModel,
  pairs: readonly PairExample[],
  options: EncodeOptions,
): Promise<number[]> {
  // Each distinct sentence is encoded once (STS reuses many).
  const texts = [...new Set(pairs.flatMap((pair) => [pair.text1, pair.text2]))];
  const vectors = await encodeSentences(model, texts, options);
  const byText = new Map(texts.map((text, i) => [text, vectors[i] as Float32Array]));
  return pairedCosines(
    pairs.map((pair) => byText.get(pair.text1) as Float32Array),
    pairs.map((pair) => byText.get(pair.text2) as Float32Array),
  );
}

/** EmbeddingSimilarityEvaluator (cosine): Spearman and Pearson of cosine against gold scores. */
export async function evaluateSimilarity(
  model: SentenceModel,
  pairs: readonly PairExample[],
  options: EncodeOptions = {},
): Promise<Metrics> {
  const cosines = await pairCosines(model, pairs, options);
  const gold = pairs.map((pair) => pair.label);
  return {
    spearman: spearman(cosines, gold),
    pearson: pearson(cosines, gold),
    pairs: pairs.length,
  };
}

/**
 * BinaryClassificationEvaluator (cosine): accuracy at the best threshold, F1 (with its precision
 * and recall) at its own best threshold, and average precision.
 */
export async function evaluateBinaryClassification(
  model: SentenceModel,
  pairs: readonly PairExample[],
  options: EncodeOptions = {},
): Promise<Metrics> {
  const cosines = await pairCosines(model, pairs, options);
  const labels = pairs.map((pair) => pair.label);
  const accuracy = bestAccuracyThreshold(cosines, labels);
  const f1 = bestF1Threshold(cosines, labels);
  return {
    accuracy: accuracy.accuracy,
    accuracy_threshold: accuracy.threshold,
    f1: f1.f1,
    f1_threshold: f1.threshold,
    precision: f1.precision,
    recall: f1.recall,
    ap: averagePrecision(cosines, labels),
    pairs: pairs.length,
  };
}

export function retrievalEvaluator(set: RetrievalSet, name = 'retrieval'): Evaluator {
  return {
    name,
    primaryMetric: 'ndcg@10',
    evaluate: (model, options) => evaluateRetrieval(model, set, options),
  };
}

export function similarityEvaluator(pairs: readonly PairExample[], name = 'similarity'): Evaluator {
  return {
    name,
    primaryMetric: 'spearman',
    evaluate: (model, options) => evaluateSimilarity(model, pairs, options),
  };
}

export function binaryClassificationEvaluator(
  pairs: readonly PairExample[],
  name = 'binary-classification',
): Evaluator {
  return {
    name,
    primaryMetric: 'accuracy',
    evaluate: (model, options) => evaluateBinaryClassification(model, pairs, options),
  };
}
