/**
 * The BPE merge loop shared by both trainers, with HF tokenizers' semantics: repeatedly merge
 * the most frequent adjacent pair (ties: smaller ids first) until the vocabulary is full, no pair
 * is left, or the best pair is rarer than `minFrequency`. Pair counts are kept incrementally with
 * a pair → words index, so one merge only revisits the words that contain the pair.
 */
import { throwIfAborted, yieldToEventLoop } from '../../abort.ts';
import { PairHeap } from './pair-heap.ts';

export interface MergeLearnerInput {
  /** Each distinct word as symbol ids (rewritten in place as merges apply). */
  words: number[][];
  /** How often each word occurs. */
  counts: readonly number[];
  /** id → token; merged tokens are appended. */
  vocab: string[];
  /** Stripped from the right part of a merge (WordPiece's `##`). */
  continuingPrefix?: string;
  vocabSize: number;
  minFrequency: number;
  signal?: AbortSignal;
  /** Called now and then with the vocabulary size reached. */
  onProgress?: (vocabLength: number) => void;
}

export type MergeStop = 'vocab-size' | 'min-frequency' | 'no-pairs';

export interface MergeLearnerResult {
  /** Learned merges in rank order, as pairs of token ids. */
  merges: [number, number][];
  stop: MergeStop;
}

/** Pair (a, b) as one number; ids stay below 2^26, so the key is exact. */
const SHIFT = 67_108_864;
const key = (a: number, b: number): number => a * SHIFT + b;
const YIELD_EVERY_MS = 40;

export async function learnMerges(input: MergeLearnerInput): Promise<MergeLearnerResult> {
  const { words, counts, vocab, vocabSize, minFrequency, signal } = input;
  const prefix = input.continuingPrefix ?? '';
  if (vocabSize >= SHIFT) throw new Error(`vocabulary size ${vocabSize} is too large`);
  const index = new Map<string, number>(vocab.map((token, id) => [token, id]));
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();

  const addPairs = (word: number[], w: number, sign: number, touched: Map<number, number>) => {
    const count = (counts[w] ?? 0) * sign;
    for (let i = 0; i + 1 < word.length; i++) {
      const k = key(word[i] ?? 0, word[i + 1] ?? 0);
      pairCounts.set(k, (pairCounts.get(k) ?? 0) + count);
      touched.set(k, (touched.get(k) ?? 0) + count);
      if (sign > 0) {
        let where = pairWords.get(k);
        if (!where) pairWords.set(k, (where = new Set()));
        where.add(w);
      }
    }
  };

  const initial = new Map<number, number>();
  for (let w = 0; w < words.length; w++) addPairs(words[w] ?? [], w, 1, initial);
  const heap = new PairHeap();
  for (const [k, count] of pairCounts) {
    if (count > 0) heap.push(count, Math.floor(k / SHIFT), k % SHIFT);
  }

  const merges: [number, number][] = [];
  let stop: MergeStop = 'no-pairs';
  let lastYield = Date.now();
  for (;;) {
    if (vocab.length >= vocabSize) {
      stop = 'vocab-size';
      break;
    }
    const top = heap.pop();
    if (!top) break;
    const [count, a, b] = top;
    const k = key(a, b);
    const live = pairCounts.get(k) ?? 0;
    if (live !== count) {
      if (live > 0) heap.push(live, a, b);
      continue;
    }
    if (count < Math.max(1, minFrequency)) {
      stop = 'min-frequency';
      break;
    }
    const left = vocab[a] ?? '';
    const rightToken = vocab[b] ?? '';
    const right =
      prefix && rightToken.startsWith(prefix) ? rightToken.slice(prefix.length) : rightToken;
    const merged = left + right;
    let id = index.get(merged);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(merged);
      index.set(merged, id);
    }
    merges.push([a, b]);

    const touched = new Map<number, number>();
    const where = pairWords.get(k) ?? new Set<number>();
    pairWords.delete(k);
    for (const w of where) {
      const word = words[w] ?? [];
      const next = mergeWord(word, a, b, id);
      if (next === word) continue;
      addPairs(word, w, -1, touched);
      words[w] = next;
      addPairs(next, w, 1, touched);
    }
    for (const [changed, delta] of touched) {
      if (delta <= 0) continue;
      const now = pairCounts.get(changed) ?? 0;
      if (now > 0) heap.push(now, Math.floor(changed / SHIFT), changed % SHIFT);
    }

    if (Date.now() - lastYield > YIELD_EVERY_MS) {
      input.onProgress?.(vocab.length);
      await yieldToEventLoop();
      throwIfAborted(signal);
      lastYield = Date.now();
    }
  }
  input.onProgress?.(vocab.length);
  return { merges, stop };
}

/** `word` with every non-overlapping (a, b), left to right, replaced by `id`; same array if none. */
function mergeWord(word: number[], a: number, b: number, id: number): number[] {
  let out: number[] | undefined;
  for (let i = 0; i < word.length; i++) {
    const symbol = word[i] ?? 0;
    if (symbol === a && i + 1 < word.length && word[i + 1] === b) {
      out ??= word.slice(0, i);
      out.push(id);
      i++;
    } else if (out) {
      out.push(symbol);
    }
  }
  return out ?? word;
}
