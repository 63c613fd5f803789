import { docIdOfChunk } from '../store/index.ts';

export interface QaCase {
  /** The document whose answer the question should retrieve. */
  docId: string;
  /** Retrieved chunk ids, best first. */
  chunkIds: readonly string[];
}

export interface QaScores {
  questions: number;
  /** Share of questions whose own document is the first hit. */
  hitAt1: number;
  /** Share whose own document is among the first `k` hits. */
  hitAtK: number;
  /** Mean reciprocal rank of the own document within the first `k` (0 when absent). */
  mrrAtK: number;
  k: number;
}

/**
 * Q&A retrieval quality: each question is asked against the answers and counts as found where
 * a chunk of its own document comes back (the fine-tuning examples' accuracy@k and MRR).
 */
export function scoreQa(cases: readonly QaCase[], k: number): QaScores {
  let at1 = 0;
  let atK = 0;
  let rr = 0;
  for (const item of cases) {
    const rank = item.chunkIds
      .slice(0, k)
      .findIndex((chunkId) => docIdOfChunk(chunkId) === item.docId);
    if (rank === 0) at1++;
    if (rank >= 0) {
      atK++;
      rr += 1 / (rank + 1);
    }
  }
  const n = cases.length;
  return {
    questions: n,
    hitAt1: n ? at1 / n : 0,
    hitAtK: n ? atK / n : 0,
    mrrAtK: n ? rr / n : 0,
    k,
  };
}
