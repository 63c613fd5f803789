import type { Bm25Index } from '../lexical/index.ts';

/**
 * Evidence thresholds under which an answer abstains, per score kind.
 * - `lexical`: BM25 divided by the question's idf mass (see {@link bm25Normalizer}), in [0, 1).
 *   Calibrated on a SciFact subset (300 documents, 1053 sentence chunks, 20 test claims, k = 5):
 *   the claims' best chunks scored 0.13–0.53; off-topic questions 0.07–0.08 (two about football) or
 *   nothing at all (baking); 0.12 sits between. Question words are left out first ({@link topicalQuery}).
 * - `semantic`: cosine of the query and chunk vectors. 0.3 is not measured here (no MiniLM weights
 *   in the test data): sentence-transformers models typically put unrelated text at 0–0.2.
 * Hybrid abstains only when neither kind reaches its threshold.
 */
export interface AbstainThresholds {
  lexical: number;
  semantic: number;
}

export const DEFAULT_ABSTAIN_THRESHOLDS: AbstainThresholds = { lexical: 0.12, semantic: 0.3 };

/** Best normalised BM25 and best cosine among the retrieved passages (null: that kind did not run). */
export interface RetrievalEvidence {
  lexical: number | null;
  semantic: number | null;
}

export function shouldAbstain(
  evidence: RetrievalEvidence,
  thresholds: AbstainThresholds = DEFAULT_ABSTAIN_THRESHOLDS,
): boolean {
  const lexicalOk = evidence.lexical !== null && evidence.lexical >= thresholds.lexical;
  const semanticOk = evidence.semantic !== null && evidence.semantic >= thresholds.semantic;
  return !lexicalOk && !semanticOk;
}

const documentFrequencies = new WeakMap<Bm25Index, Map<string, number>>();

function frequencies(index: Bm25Index): Map<string, number> {
  let map = documentFrequencies.get(index);
  if (!map) {
    const { terms, offsets } = index.toSnapshot();
    map = new Map(
      terms.map((term, t) => [term, (offsets[t + 1] as number) - (offsets[t] as number)]),
    );
    documentFrequencies.set(index, map);
  }
  return map;
}

/**
 * Words that make a question a question but say nothing of its topic. They are not Lucene
 * stopwords, so a corpus rarely holding "when" or "should" would otherwise count them as rare,
 * informative terms and pull every normalised score down.
 */
export const QUESTION_WORDS: readonly string[] = [
  'what',
  'when',
  'where',
  'which',
  'who',
  'whom',
  'whose',
  'why',
  'how',
  'do',
  'does',
  'did',
  'can',
  'could',
  'should',
  'would',
  'may',
  'might',
  'must',
  'shall',
  'i',
  'me',
  'my',
  'we',
  'our',
  'you',
  'your',
  'has',
  'have',
  'had',
  'were',
  'been',
  'am',
  'tell',
  'explain',
  'describe',
  'please',
];

const QUESTION_WORD_SET = new Set(QUESTION_WORDS);

/**
 * The question without its question words, for BM25 (retrieval, sentence scoring and score
 * normalisation alike); the question itself when nothing else is left.
 */
export function topicalQuery(question: string): string {
  const kept = question
    .split(/\s+/u)
    .filter((word) => !QUESTION_WORD_SET.has(word.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '')));
  const text = kept.join(' ').trim();
  return text.length > 0 ? text : question;
}

/**
 * Maps raw BM25 scores of one query into [0, 1): each query term adds at most its idf to a score
 * (Lucene's BM25 has no `k1 + 1` factor, so tf / (tf + norm) < 1), so dividing by the query's
 * total idf — terms missing from the corpus counted at df = 0 — gives the share of the question's
 * information a chunk matches. Pass the {@link topicalQuery} that was searched. Raw BM25 is not comparable across queries; this is.
 */
export function bm25Normalizer(index: Bm25Index, query: string): (score: number) => number {
  const df = frequencies(index);
  let mass = 0;
  for (const term of index.analyzeQuery(query)) mass += index.idf(df.get(term) ?? 0);
  return (score) => (mass > 0 ? score / mass : 0);
}
