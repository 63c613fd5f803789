import { throwIfAborted } from '../abort.ts';
import { analyze, Bm25Index } from '../lexical/index.ts';
import { bm25Normalizer, topicalQuery } from './abstain.ts';
import type { ContextSource } from './context.ts';
import { cosine, jaccard, mmrSelect } from './mmr.ts';
import { splitSentences } from './sentences.ts';

/** Embeds sentences as documents; row i is sentence i. */
export type EmbedSentences = (
  texts: readonly string[],
  signal?: AbortSignal,
) => Promise<Float32Array[]>;

export interface ExtractiveOptions {
  /** Most characters of picked sentences (citations not counted). Default 600. */
  maxChars?: number;
  /** Default 3. */
  maxSentences?: number;
  /** MMR trade-off between a sentence's score and its overlap with those picked. Default 0.7. */
  lambda?: number;
  /** Sentences scoring under this share of the best one are never picked. Default 0.5. */
  minRelativeScore?: number;
  /** Weight of the sentence's source score (min-max over sources) added to its own. Default 0.1. */
  sourceWeight?: number;
  /** With `embedSentences`, sentence scores average BM25 and cosine; else BM25 alone. */
  queryVector?: Float32Array;
  embedSentences?: EmbedSentences;
  signal?: AbortSignal;
}

export interface ExtractedSentence {
  sourceNumber: number;
  text: string;
  /** Offset in the source's text. */
  start: number;
  end: number;
  score: number;
  lexicalScore: number;
  semanticScore: number | null;
}

export interface ExtractiveResult {
  /** The picked sentences in source order, each followed by its `[n]`. Empty when none scored. */
  text: string;
  sentences: ExtractedSentence[];
  /** Numbers of the cited sources, ascending. */
  cited: number[];
}

/** `[3]`, `[1-8]`, `[2, 4]`: reference markers some sources carry (SciFact abstracts do). */
const BRACKETED_NUMBERS = /\[(\d+(?:\s*[-–,]\s*\d+)*)\]/g;

/**
 * A source's own bracketed reference numbers would read as citations of the answer's sources,
 * so the answer shows them in parentheses (`ExtractedSentence.text` keeps them as they were).
 */
export function asQuoted(sentence: string): string {
  return sentence.replace(BRACKETED_NUMBERS, '($1)');
}

/** Duplicates beyond this term overlap with a picked sentence are skipped outright. */
const NEAR_DUPLICATE = 0.8;

/**
 * Extractive answer: every sentence of the sources scored against the question (BM25 over the
 * sentences, normalised by the question's idf mass, averaged with cosine when vectors are
 * given), picked by MMR within a length budget, stitched in source order with citations.
 */
export async function extractAnswer(
  question: string,
  sources: readonly ContextSource[],
  options: ExtractiveOptions = {},
): Promise<ExtractiveResult> {
  const {
    maxChars = 600,
    maxSentences = 3,
    lambda = 0.7,
    minRelativeScore = 0.5,
    sourceWeight = 0.1,
    signal,
  } = options;
  const all = sources.flatMap((source) =>
    splitSentences(source.text).map((s) => ({ ...s, sourceNumber: source.sourceNumber })),
  );
  if (all.length === 0) return { text: '', sentences: [], cited: [] };

  const index = await Bm25Index.build(
    all.map((s, i) => ({ id: String(i), text: s.text })),
    signal ? { signal } : {},
  );
  const query = topicalQuery(question);
  const normalize = bm25Normalizer(index, query);
  const lexical = new Float64Array(all.length);
  for (const hit of index.search(query, all.length)) lexical[Number(hit.id)] = normalize(hit.score);

  let semantic: number[] | null = null;
  if (options.queryVector && options.embedSentences) {
    const vectors = await options.embedSentences(
      all.map((s) => s.text),
      signal,
    );
    if (vectors.length !== all.length) {
      throw new Error(`Got ${vectors.length} sentence vectors for ${all.length} sentences.`);
    }
    const queryVector = options.queryVector;
    semantic = vectors.map((v) => cosine(queryVector, v));
  }
  throwIfAborted(signal);

  const sourceScores = new Map(sources.map((s) => [s.sourceNumber, s.score]));
  const scores = [...sourceScores.values()];
  const [low, high] = [Math.min(...scores), Math.max(...scores)];
  const prior = (n: number) =>
    high > low ? ((sourceScores.get(n) ?? low) - low) / (high - low) : 1;

  const scored = all.map((s, i) => {
    const lex = lexical[i] as number;
    const sem = semantic ? (semantic[i] as number) : null;
    const own = sem === null ? lex : (lex + Math.max(0, sem)) / 2;
    return {
      ...s,
      own,
      score: own + sourceWeight * prior(s.sourceNumber),
      lexicalScore: lex,
      semanticScore: sem,
    };
  });
  const bestOwn = Math.max(...scored.map((s) => s.own));
  if (!(bestOwn > 0)) return { text: '', sentences: [], cited: [] };
  const eligible = scored.filter((s) => s.own > 0 && s.own >= minRelativeScore * bestOwn);

  const terms = eligible.map((s) => new Set(analyze(s.text)));
  const overlap = (a: number, b: number) =>
    jaccard(terms[a] as Set<string>, terms[b] as Set<string>);
  const order = mmrSelect(
    eligible.map((s) => s.score),
    overlap,
    eligible.length,
    lambda,
  );
  const picked: number[] = [];
  let chars = 0;
  for (const i of order) {
    if (picked.length >= maxSentences) break;
    const sentence = eligible[i] as (typeof eligible)[number];
    if (picked.some((j) => overlap(i, j) > NEAR_DUPLICATE)) continue;
    // The first pick always goes in, however long: an answer needs at least one sentence.
    if (picked.length > 0 && chars + sentence.text.length > maxChars) continue;
    picked.push(i);
    chars += sentence.text.length;
  }

  const sentences: ExtractedSentence[] = picked
    .map((i) => eligible[i] as (typeof eligible)[number])
    .sort((a, b) => a.sourceNumber - b.sourceNumber || a.start - b.start)
    .map((s) => ({
      sourceNumber: s.sourceNumber,
      text: s.text,
      start: s.start,
      end: s.end,
      score: s.score,
      lexicalScore: s.lexicalScore,
      semanticScore: s.semanticScore,
    }));
  return {
    text: sentences.map((s) => `${asQuoted(s.text)} [${s.sourceNumber}]`).join(' '),
    sentences,
    cited: [...new Set(sentences.map((s) => s.sourceNumber))].sort((a, b) => a - b),
  };
}
