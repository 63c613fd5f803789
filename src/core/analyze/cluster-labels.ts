/**
 * Cluster labels by class-based TF-IDF (c-TF-IDF, as in BERTopic's ClassTfidfTransformer): the
 * texts of a cluster are one document; a term's weight in cluster c is its L1-normalised
 * frequency in c times log(1 + A / f), with A the average number of terms per cluster (truncated
 * to an integer, as BERTopic does) and f the term's frequency over all clusters. Terms frequent
 * everywhere score low without a stopword list; a tokenizer that drops stopwords still helps.
 */
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import { Pacer } from './matrix.ts';

export type Tokenizer = (text: string) => readonly string[];

export interface ClusterLabelOptions {
  /** Default: `wordTokenizer()`, lowercase Unicode words without a stopword list. */
  tokenizer?: Tokenizer;
  /** Terms per cluster; default 10. */
  topN?: number;
  /** BERTopic's BM25-style idf, log(1 + (A − f + 0.5) / (f + 0.5)). */
  bm25Weighting?: boolean;
  /** BERTopic's square root of the normalised term frequencies. */
  reduceFrequentWords?: boolean;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface ClusterTerm {
  term: string;
  score: number;
}

export interface ClusterLabel {
  cluster: number;
  /** Texts in the cluster. */
  size: number;
  /** Best first; ties by term. */
  terms: ClusterTerm[];
}

/**
 * Lowercased runs of letters, marks and digits (inner apostrophes kept: "don't"), dropping
 * one-character tokens and the given stopwords (compared lowercased).
 */
export function wordTokenizer(stopwords: Iterable<string> = []): Tokenizer {
  const stop = new Set([...stopwords].map((word) => word.toLowerCase()));
  return (text) =>
    (text.toLowerCase().match(/[\p{L}\p{M}\p{N}]+(?:['’][\p{L}\p{M}\p{N}]+)*/gu) ?? []).filter(
      (word) => word.length > 1 && !stop.has(word),
    );
}

/**
 * Top c-TF-IDF terms of each cluster. `assignments[i]` is the cluster of `texts[i]`; negative
 * clusters (noise) are left out. One label per non-empty cluster, ascending by cluster.
 */
export async function clusterLabels(
  texts: readonly string[],
  assignments: ArrayLike<number>,
  options: ClusterLabelOptions = {},
): Promise<ClusterLabel[]> {
  const {
    tokenizer = wordTokenizer(),
    topN = 10,
    bm25Weighting = false,
    reduceFrequentWords = false,
    onProgress,
    signal,
  } = options;
  if (texts.length !== assignments.length) {
    throw new RangeError(`${texts.length} texts but ${assignments.length} cluster assignments.`);
  }
  if (!Number.isInteger(topN) || topN < 0) {
    throw new RangeError(`topN must be a whole number ≥ 0, got ${topN}.`);
  }
  const progress = new ProgressReporter(onProgress);
  const pacer = new Pacer(signal);
  progress.start('cluster labels');

  const counts = new Map<number, Map<string, number>>();
  const sizes = new Map<number, number>();
  for (let i = 0; i < texts.length; i++) {
    const cluster = assignments[i] as number;
    if (!Number.isInteger(cluster)) {
      throw new RangeError(`Cluster assignments must be integers, got ${cluster}.`);
    }
    if (cluster < 0) continue;
    sizes.set(cluster, (sizes.get(cluster) ?? 0) + 1);
    let terms = counts.get(cluster);
    if (!terms) counts.set(cluster, (terms = new Map()));
    for (const term of tokenizer(texts[i] as string)) terms.set(term, (terms.get(term) ?? 0) + 1);
    if (i % 256 === 255) {
      await pacer.checkpoint(() => progress.update(i + 1, texts.length, 'counting terms'));
    }
  }

  const frequency = new Map<string, number>();
  let allTerms = 0;
  for (const terms of counts.values()) {
    for (const [term, count] of terms) {
      frequency.set(term, (frequency.get(term) ?? 0) + count);
      allTerms += count;
    }
  }
  const average = counts.size > 0 ? Math.trunc(allTerms / counts.size) : 0;
  const idf = (f: number): number =>
    bm25Weighting ? Math.log(1 + (average - f + 0.5) / (f + 0.5)) : Math.log(1 + average / f);

  const labels: ClusterLabel[] = [];
  for (const cluster of [...counts.keys()].sort((a, b) => a - b)) {
    const terms = counts.get(cluster) as Map<string, number>;
    let total = 0;
    for (const count of terms.values()) total += count;
    const scored: ClusterTerm[] = [];
    for (const [term, count] of terms) {
      const tf = reduceFrequentWords ? Math.sqrt(count / total) : count / total;
      scored.push({ term, score: tf * idf(frequency.get(term) as number) });
    }
    scored.sort((a, b) => b.score - a.score || (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
    labels.push({ cluster, size: sizes.get(cluster) ?? 0, terms: scored.slice(0, topN) });
  }
  progress.finish(`${labels.length} clusters labelled`);
  return labels;
}
