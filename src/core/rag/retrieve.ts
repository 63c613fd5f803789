import { throwIfAborted } from '../abort.ts';
import { analyze, minMaxNormalize, type RankedItem } from '../lexical/index.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import {
  fuseRankings,
  fusionDepth,
  type FusionSettings,
  type SearchFilter,
} from '../search/index.ts';
import { bm25Normalizer, topicalQuery, type RetrievalEvidence } from './abstain.ts';
import { cosine, jaccard, mmrSelect } from './mmr.ts';
import { applyReranker, type Reranker } from './rerank.ts';
import type { RagChunk, RagSource } from './source.ts';

export type RagMode = 'bm25' | 'dense' | 'hybrid';

export interface MmrSettings {
  /** 1 = relevance only, 0 = diversity only. Default 0.7. */
  lambda?: number;
  /** Candidates MMR chooses from. Default max(20, 4·k). */
  fetchK?: number;
}

export interface RetrieveOptions {
  mode: RagMode;
  /** Passages kept before neighbour expansion. */
  k: number;
  /** Needed for dense and hybrid: the question embedded as a query. */
  queryVector?: Float32Array;
  where?: SearchFilter;
  fusion?: FusionSettings;
  /** Diversify with MMR; vectors give the similarity, term overlap when the source has none. */
  mmr?: MmrSettings;
  /** Adds the `window` chunks before and after each kept chunk of the same document. */
  neighbours?: number;
  reranker?: Reranker;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

export interface RetrievedPassage extends RagChunk {
  /** The ranking score of the mode (BM25, cosine, fused, or the reranker's), higher is better. */
  score: number;
  /** 1-based rank among the kept passages; a neighbour shares the rank of the chunk it came with. */
  rank: number;
  /** BM25 divided by the question's idf mass, in [0, 1); null when BM25 did not return the chunk. */
  lexicalScore: number | null;
  /** Cosine with the query vector; null when dense search did not return the chunk. */
  semanticScore: number | null;
  /** Set on chunks added by neighbour expansion: the id of the retrieved chunk they border. */
  neighbourOf: string | null;
  /** Set when a reranker ran: the mode's score before it (`score` is then the reranker's). */
  retrievalScore?: number;
}

export interface RetrievalResult {
  mode: RagMode;
  passages: RetrievedPassage[];
  /** Over the retrieved (not expanded) passages; what abstention decides on. */
  evidence: RetrievalEvidence;
  /** How MMR measured similarity, when it ran. */
  mmrSimilarity: 'cosine' | 'term-overlap' | null;
}

const DEFAULT_LAMBDA = 0.7;

/**
 * Retrieval for RAG: BM25, dense or hybrid candidates (hybrid fuses `fusionDepth` of each with
 * the search view's fusion), optional re-ranking, MMR diversity, then neighbour expansion.
 */
export async function retrieve(
  source: RagSource,
  question: string,
  options: RetrieveOptions,
): Promise<RetrievalResult> {
  const { mode, k, signal } = options;
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`k must be a whole number ≥ 1, got ${k}.`);
  const progress = new ProgressReporter(options.onProgress);
  progress.start('Retrieving passages');
  const fetchK = options.mmr
    ? Math.max(k, options.mmr.fetchK ?? Math.max(20, 4 * k))
    : options.reranker
      ? Math.max(k, 20)
      : k;
  const depth = mode === 'hybrid' ? fusionDepth(fetchK) : fetchK;

  let lexical: RankedItem[] = [];
  let semantic: RankedItem[] = [];
  const searchOptions = {
    ...(options.where ? { where: options.where } : {}),
    ...(signal ? { signal } : {}),
  };
  const lexicalQuery = topicalQuery(question);
  if (mode !== 'dense') lexical = await source.lexical(lexicalQuery, depth, searchOptions);
  progress.update(0.3, 1, 'BM25 done');
  if (mode !== 'bm25') {
    if (!options.queryVector) throw new Error(`${mode} retrieval needs the question's vector.`);
    if (source.dims === null)
      throw new Error(`${source.name} has no vectors for ${mode} retrieval.`);
    semantic = await source.semantic(options.queryVector, depth, searchOptions);
  }
  progress.update(0.5, 1, 'Vector search done');
  throwIfAborted(signal);

  const ranked =
    mode === 'bm25'
      ? lexical
      : mode === 'dense'
        ? semantic
        : fuseRankings(semantic, lexical, depth, options.fusion ?? { method: 'rrf' });
  const candidates = ranked.slice(0, fetchK);

  const normalize =
    mode === 'dense' ? null : bm25Normalizer(await source.lexicalIndex(signal), lexicalQuery);
  const lexicalScores = new Map(lexical.map((item) => [item.id, normalize?.(item.score) ?? 0]));
  const semanticScores = new Map(semantic.map((item) => [item.id, item.score]));

  const chunks = await source.chunks(
    candidates.map((item) => item.id),
    signal,
  );
  let scored: (RagChunk & { score: number; retrievalScore?: number })[] = candidates.flatMap(
    (item) => {
      const chunk = chunks.get(item.id);
      return chunk ? [{ ...chunk, score: item.score }] : [];
    },
  );
  if (options.reranker) {
    scored = await applyReranker(options.reranker, question, scored, signal);
  }
  progress.update(0.7, 1, 'Candidates scored');

  let kept = scored.slice(0, k);
  let mmrSimilarity: RetrievalResult['mmrSimilarity'] = null;
  if (options.mmr && scored.length > 0) {
    const picked = await diversify(source, scored, k, options.mmr.lambda ?? DEFAULT_LAMBDA, signal);
    kept = picked.order.map((i) => scored[i] as (typeof scored)[number]);
    mmrSimilarity = picked.similarity;
  }

  const passages: RetrievedPassage[] = kept.map((chunk, i) => ({
    ...pickChunk(chunk),
    score: chunk.score,
    rank: i + 1,
    lexicalScore: lexicalScores.get(chunk.id) ?? null,
    semanticScore: semanticScores.get(chunk.id) ?? null,
    neighbourOf: null,
    ...(chunk.retrievalScore !== undefined ? { retrievalScore: chunk.retrievalScore } : {}),
  }));
  const evidence: RetrievalEvidence = {
    lexical: mode === 'dense' ? null : best(passages.map((p) => p.lexicalScore)),
    semantic: mode === 'bm25' ? null : best(passages.map((p) => p.semanticScore)),
  };
  const expanded =
    options.neighbours && options.neighbours > 0
      ? await expandNeighbours(source, passages, options.neighbours, signal)
      : passages;
  progress.finish(`${passages.length} passages`);
  return { mode, passages: expanded, evidence, mmrSimilarity };
}

function pickChunk(chunk: RagChunk): RagChunk {
  const { id, docId, index, text, charStart, charEnd } = chunk;
  return { id, docId, index, text, charStart, charEnd };
}

function best(values: readonly (number | null)[]): number | null {
  let top: number | null = null;
  for (const value of values) if (value !== null && (top === null || value > top)) top = value;
  return top;
}

/**
 * MMR over the candidates. Relevance is min-max normalised to [0, 1] so it shares a scale with
 * cosine or Jaccard similarity whatever the mode's raw scores are (BM25, RRF, cosine).
 */
async function diversify(
  source: RagSource,
  candidates: readonly (RagChunk & { score: number })[],
  k: number,
  lambda: number,
  signal: AbortSignal | undefined,
): Promise<{ order: number[]; similarity: 'cosine' | 'term-overlap' }> {
  const normalized = minMaxNormalize(candidates.map(({ id, score }) => ({ id, score })));
  const relevance = candidates.map((c) => normalized.get(c.id) ?? 0);
  const vectors =
    source.dims === null
      ? new Map<string, Float32Array>()
      : await source.vectors(
          candidates.map((c) => c.id),
          signal,
        );
  throwIfAborted(signal);
  if (vectors.size === candidates.length) {
    const rows = candidates.map((c) => vectors.get(c.id) as Float32Array);
    const similarity = (a: number, b: number) =>
      cosine(rows[a] as Float32Array, rows[b] as Float32Array);
    return { order: mmrSelect(relevance, similarity, k, lambda), similarity: 'cosine' };
  }
  const terms = candidates.map((c) => new Set(analyze(c.text)));
  const similarity = (a: number, b: number) =>
    jaccard(terms[a] as Set<string>, terms[b] as Set<string>);
  return { order: mmrSelect(relevance, similarity, k, lambda), similarity: 'term-overlap' };
}

/**
 * Adds the chunks within `window` positions of each passage in the same document, right after
 * it, each once (a chunk retrieved itself is never repeated as a neighbour).
 */
export async function expandNeighbours(
  source: RagSource,
  passages: readonly RetrievedPassage[],
  window: number,
  signal?: AbortSignal,
): Promise<RetrievedPassage[]> {
  if (!Number.isInteger(window) || window < 0) {
    throw new RangeError(`The neighbour window must be a whole number ≥ 0, got ${window}.`);
  }
  const present = new Set(passages.map((p) => p.id));
  const wanted: string[] = [];
  for (const passage of passages) {
    for (let offset = -window; offset <= window; offset++) {
      const index = passage.index + offset;
      if (offset === 0 || index < 0) continue;
      const id = `${passage.docId}#${index}`;
      if (!present.has(id) && !wanted.includes(id)) wanted.push(id);
    }
  }
  const found = await source.chunks(wanted, signal);
  const out: RetrievedPassage[] = [];
  for (const passage of passages) {
    out.push(passage);
    for (let offset = -window; offset <= window; offset++) {
      const id = `${passage.docId}#${passage.index + offset}`;
      const chunk = found.get(id);
      if (!chunk || present.has(id)) continue;
      present.add(id);
      out.push({
        ...pickChunk(chunk),
        score: passage.score,
        rank: passage.rank,
        lexicalScore: null,
        semanticScore: null,
        neighbourOf: passage.id,
      });
    }
  }
  return out;
}
