/** Scores passages against a query, e.g. a cross-encoder; higher is more relevant. */
export interface Reranker {
  rerank(query: string, passages: readonly string[], signal?: AbortSignal): Promise<number[]>;
}

export interface Rerankable {
  text: string;
  score: number;
}

/**
 * Reorders items by the reranker's scores, which replace their scores (the first-stage score is
 * kept as `retrievalScore`). Ties keep the first-stage order.
 */
export async function applyReranker<T extends Rerankable>(
  reranker: Reranker,
  query: string,
  items: readonly T[],
  signal?: AbortSignal,
): Promise<(T & { retrievalScore: number })[]> {
  if (items.length === 0) return [];
  const scores = await reranker.rerank(
    query,
    items.map((item) => item.text),
    signal,
  );
  if (scores.length !== items.length) {
    throw new Error(`The reranker returned ${scores.length} scores for ${items.length} passages.`);
  }
  const rescored = items.map((item, i) => {
    const score = scores[i] as number;
    if (!Number.isFinite(score)) throw new Error(`The reranker scored passage ${i + 1} ${score}.`);
    return { ...item, retrievalScore: item.score, score };
  });
  // Array.prototype.sort is stable, so equal scores keep the first-stage order.
  return rescored.sort((a, b) => b.score - a.score);
}
