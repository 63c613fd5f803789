/** Relevance judgements: query id → document id → graded relevance (≥ 1 counts as relevant). */
export type Qrels = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** Scored documents of one query, in any order. */
export interface ScoredDocument {
  id: string;
  score: number;
}

/** Retrieved documents per query id. */
export type Run = ReadonlyMap<string, readonly ScoredDocument[]>;

/**
 * Documents in trec_eval's order: score descending, ties by document id descending (its
 * `comp_sim_docno`), so figures match pytrec_eval and BEIR whatever order the run lists them in.
 */
export function trecOrder(documents: readonly ScoredDocument[]): ScoredDocument[] {
  return [...documents].sort(
    (a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}

/** The document ids of {@link trecOrder}. */
export function rankRun(documents: readonly ScoredDocument[]): string[] {
  return trecOrder(documents).map((doc) => doc.id);
}

function gain(relevance: number | undefined): number {
  return relevance !== undefined && relevance > 0 ? relevance : 0;
}

/** trec_eval's `ndcg_cut.k`: gain = relevance, discount log2(rank + 1), ideal from the qrels. */
export function ndcgAt(
  ranking: readonly string[],
  qrels: ReadonlyMap<string, number>,
  k: number,
): number {
  let dcg = 0;
  const depth = Math.min(k, ranking.length);
  for (let i = 0; i < depth; i++) dcg += gain(qrels.get(ranking[i] as string)) / Math.log2(i + 2);
  const ideal = [...qrels.values()]
    .map(gain)
    .filter((g) => g > 0)
    .sort((a, b) => b - a)
    .slice(0, k);
  const idcg = ideal.reduce((sum, g, i) => sum + g / Math.log2(i + 2), 0);
  return idcg > 0 ? dcg / idcg : 0;
}

/** BEIR's `MRR@k`: 1 / rank of the first relevant document in the top k, else 0. */
export function reciprocalRankAt(
  ranking: readonly string[],
  qrels: ReadonlyMap<string, number>,
  k: number,
): number {
  const depth = Math.min(k, ranking.length);
  for (let i = 0; i < depth; i++) {
    if (gain(qrels.get(ranking[i] as string)) > 0) return 1 / (i + 1);
  }
  return 0;
}

function relevantCount(qrels: ReadonlyMap<string, number>): number {
  let count = 0;
  for (const relevance of qrels.values()) if (relevance > 0) count++;
  return count;
}

/** trec_eval's `recall.k`: relevant documents in the top k over all relevant documents. */
export function recallAt(
  ranking: readonly string[],
  qrels: ReadonlyMap<string, number>,
  k: number,
): number {
  const relevant = relevantCount(qrels);
  if (relevant === 0) return 0;
  let found = 0;
  const depth = Math.min(k, ranking.length);
  for (let i = 0; i < depth; i++) if (gain(qrels.get(ranking[i] as string)) > 0) found++;
  return found / relevant;
}

/**
 * trec_eval's `map_cut.k` for one query: the precision at each relevant document in the top k,
 * summed and divided by the number of relevant documents (retrieved or not).
 */
export function averagePrecisionAt(
  ranking: readonly string[],
  qrels: ReadonlyMap<string, number>,
  k = Infinity,
): number {
  const relevant = relevantCount(qrels);
  if (relevant === 0) return 0;
  let found = 0;
  let sum = 0;
  const depth = Math.min(k, ranking.length);
  for (let i = 0; i < depth; i++) {
    if (gain(qrels.get(ranking[i] as string)) > 0) {
      found++;
      sum += found / (i + 1);
    }
  }
  return sum / relevant;
}

/** Mean figures over the judged queries, named by metric and cut-off. */
export interface RetrievalMetrics {
  'ndcg@10': number;
  'mrr@10': number;
  'recall@100': number;
  'map@100': number;
  'map@1000': number;
  /** Queries averaged over: every query in the qrels. */
  queries: number;
}

/**
 * Averages the metrics over every query in the qrels; a query the run lacks scores 0 on all of
 * them (stricter than pytrec_eval, which skips it; BEIR runs answer every query).
 */
export function evaluateRun(qrels: Qrels, run: Run): RetrievalMetrics {
  const sums = { ndcg: 0, mrr: 0, recall: 0, map100: 0, map1000: 0 };
  for (const [queryId, judged] of qrels) {
    const ranking = rankRun(run.get(queryId) ?? []);
    sums.ndcg += ndcgAt(ranking, judged, 10);
    sums.mrr += reciprocalRankAt(ranking, judged, 10);
    sums.recall += recallAt(ranking, judged, 100);
    sums.map100 += averagePrecisionAt(ranking, judged, 100);
    sums.map1000 += averagePrecisionAt(ranking, judged, 1000);
  }
  const n = qrels.size;
  const mean = (sum: number): number => (n > 0 ? sum / n : 0);
  return {
    'ndcg@10': mean(sums.ndcg),
    'mrr@10': mean(sums.mrr),
    'recall@100': mean(sums.recall),
    'map@100': mean(sums.map100),
    'map@1000': mean(sums.map1000),
    queries: n,
  };
}
