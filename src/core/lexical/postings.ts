import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import type { Analyzer } from './analyzer.ts';

/**
 * An inverted index of one text field in CSR form: term t's postings are
 * `postingDocs/postingFreqs[offsets[t]..offsets[t+1])`, in increasing document order.
 */
export interface Postings {
  terms: string[];
  offsets: Uint32Array;
  postingDocs: Uint32Array;
  postingFreqs: Uint32Array;
  /** Analysed terms per document (0 where the field is empty). */
  docLengths: Uint32Array;
}

export interface InvertOptions {
  /** Documents analysed between event-loop turns. */
  chunkSize: number;
  signal?: AbortSignal | undefined;
  /** Called after each chunk with the number of documents analysed so far. */
  onChunk?: (done: number) => void;
}

/** Analyses `count` texts in chunks, yielding between them so aborts get through. */
export async function invertTexts(
  count: number,
  textOf: (doc: number) => string,
  analyze: Analyzer,
  { chunkSize, signal, onChunk }: InvertOptions,
): Promise<Postings> {
  const step = Math.max(1, chunkSize);
  throwIfAborted(signal);
  const termIds = new Map<string, number>();
  const terms: string[] = [];
  const docLengths = new Uint32Array(count);
  // Postings in document order, grown as needed: (term, freq) pairs; doc boundaries in docStarts.
  let pairTerms: Uint32Array = new Uint32Array(1024);
  let pairFreqs: Uint32Array = new Uint32Array(1024);
  const docStarts = new Uint32Array(count + 1);
  let pairs = 0;
  const counts = new Map<number, number>();
  for (let start = 0; start < count; start += step) {
    const end = Math.min(count, start + step);
    for (let d = start; d < end; d++) {
      const tokens = analyze(textOf(d));
      docLengths[d] = tokens.length;
      counts.clear();
      for (const token of tokens) {
        let id = termIds.get(token);
        if (id === undefined) {
          id = terms.length;
          termIds.set(token, id);
          terms.push(token);
        }
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      if (pairs + counts.size > pairTerms.length) {
        const size = Math.max(pairTerms.length * 2, pairs + counts.size);
        pairTerms = grow(pairTerms, size);
        pairFreqs = grow(pairFreqs, size);
      }
      for (const [id, freq] of counts) {
        pairTerms[pairs] = id;
        pairFreqs[pairs] = freq;
        pairs++;
      }
      docStarts[d + 1] = pairs;
    }
    onChunk?.(end);
    if (end < count) {
      await yieldToEventLoop();
      throwIfAborted(signal);
    }
  }

  // Counting sort of the pairs by term gives each term's postings in increasing doc order.
  const offsets = new Uint32Array(terms.length + 1);
  for (let p = 0; p < pairs; p++) {
    const slot = (pairTerms[p] as number) + 1;
    offsets[slot] = (offsets[slot] as number) + 1;
  }
  for (let t = 0; t < terms.length; t++) {
    offsets[t + 1] = (offsets[t + 1] as number) + (offsets[t] as number);
  }
  const cursor = offsets.slice(0, terms.length);
  const postingDocs = new Uint32Array(pairs);
  const postingFreqs = new Uint32Array(pairs);
  for (let d = 0; d < count; d++) {
    for (let p = docStarts[d] as number; p < (docStarts[d + 1] as number); p++) {
      const term = pairTerms[p] as number;
      const slot = cursor[term] as number;
      cursor[term] = slot + 1;
      postingDocs[slot] = d;
      postingFreqs[slot] = pairFreqs[p] as number;
    }
  }
  return { terms, offsets, postingDocs, postingFreqs, docLengths };
}

/** True when the arrays agree with each other and with `documents`. */
export function postingsConsistent(postings: Postings, documents: number): boolean {
  const terms = postings.terms.length;
  const count = postings.postingDocs.length;
  return (
    postings.offsets.length === terms + 1 &&
    postings.offsets[terms] === count &&
    postings.postingFreqs.length === count &&
    postings.docLengths.length === documents
  );
}

function grow(array: Uint32Array, size: number): Uint32Array {
  const grown = new Uint32Array(size);
  grown.set(array);
  return grown;
}
