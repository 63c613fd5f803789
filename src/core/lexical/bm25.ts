import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import { TopK } from '../search/top-k.ts';
import { createAnalyzer, type Analyzer, type AnalyzerOptions } from './analyzer.ts';
import { invertTexts, postingsConsistent } from './postings.ts';

export interface Bm25Params {
  /** Term-frequency saturation. Default 1.2. */
  k1: number;
  /** Length normalisation, 0 (none) to 1 (full). Default 0.75. */
  b: number;
}

export const defaultBm25Params: Bm25Params = { k1: 1.2, b: 0.75 };

export interface Bm25Document {
  id: string;
  text: string;
}

export interface Bm25BuildOptions extends Partial<Bm25Params> {
  analyzer?: AnalyzerOptions;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Documents analysed between event-loop turns. Default 256. */
  chunkSize?: number;
}

export interface Bm25Hit {
  id: string;
  score: number;
}

export interface Bm25SearchOptions {
  /** Keeps only documents it accepts; asked only about candidates that would enter the top k. */
  filter?: (id: string) => boolean;
}

/**
 * The index as structured-clonable data (typed arrays and strings) for IndexedDB or postMessage.
 * Postings are in CSR form: term t's postings are `postingDocs/postingFreqs[offsets[t]..offsets[t+1])`.
 */
export interface Bm25Snapshot {
  format: 'lumina-bm25/1';
  params: Bm25Params;
  analyzer: AnalyzerOptions;
  ids: string[];
  terms: string[];
  offsets: Uint32Array;
  postingDocs: Uint32Array;
  postingFreqs: Uint32Array;
  docLengths: Uint32Array;
}

/**
 * Okapi BM25 over an inverted index, scored as Lucene 8+ does:
 * `idf · tf / (tf + k1 · (1 − b + b · dl / avgdl))` with `idf = ln(1 + (N − df + 0.5) / (df + 0.5))`.
 * Lucene dropped the classic `(k1 + 1)` numerator factor; it scales every score alike, so
 * rankings are unchanged. A query term repeated n times counts n times, as in Pyserini.
 */
export class Bm25Index {
  readonly params: Bm25Params;
  private readonly analyzer: Analyzer;
  private readonly termIds: Map<string, number>;
  /** `k1 · (1 − b + b · dl / avgdl)` per document, computed once. */
  private readonly lengthNorms: Float64Array;
  private readonly averageLength: number;
  /** Scratch buffers reused across searches (searches are synchronous, so never shared). */
  private readonly accumulator: Float64Array;
  private readonly touched: Uint8Array;

  private constructor(private readonly data: Bm25Snapshot) {
    this.params = { ...data.params };
    this.analyzer = createAnalyzer(data.analyzer);
    this.termIds = new Map(data.terms.map((term, i) => [term, i]));
    const n = data.ids.length;
    let total = 0;
    for (const length of data.docLengths) total += length;
    this.averageLength = n > 0 ? total / n : 0;
    const { k1, b } = data.params;
    this.lengthNorms = new Float64Array(n);
    for (let d = 0; d < n; d++) {
      const ratio =
        this.averageLength > 0 ? (data.docLengths[d] as number) / this.averageLength : 0;
      this.lengthNorms[d] = k1 * (1 - b + b * ratio);
    }
    this.accumulator = new Float64Array(n);
    this.touched = new Uint8Array(n);
  }

  /** Analyses and indexes the documents in chunks, yielding between them so aborts get through. */
  static async build(
    documents: readonly Bm25Document[],
    options: Bm25BuildOptions = {},
  ): Promise<Bm25Index> {
    const params = checkParams({
      k1: options.k1 ?? defaultBm25Params.k1,
      b: options.b ?? defaultBm25Params.b,
    });
    const analyzerOptions = { ...(options.analyzer ?? {}) };
    const analyze = createAnalyzer(analyzerOptions);
    const progress = new ProgressReporter(options.onProgress);
    progress.start('Indexing documents');
    const total = documents.length;
    const postings = await invertTexts(total, (d) => (documents[d] as Bm25Document).text, analyze, {
      chunkSize: options.chunkSize ?? 256,
      signal: options.signal,
      onChunk: (done) => progress.update(done, total, `${done} of ${total} documents`),
    });
    progress.finish(`Indexed ${total} documents, ${postings.terms.length} terms`);
    return new Bm25Index({
      format: 'lumina-bm25/1',
      params,
      analyzer: analyzerOptions,
      ids: documents.map((doc) => doc.id),
      ...postings,
    });
  }

  /** Restores an index from {@link toSnapshot} (or its structured clone). */
  static fromSnapshot(snapshot: Bm25Snapshot): Bm25Index {
    if (snapshot.format !== 'lumina-bm25/1') {
      throw new Error(`Unknown BM25 index format "${String(snapshot.format)}".`);
    }
    if (!postingsConsistent(snapshot, snapshot.ids.length)) {
      throw new Error('The BM25 index snapshot is inconsistent.');
    }
    checkParams(snapshot.params);
    return new Bm25Index(snapshot);
  }

  /** The index's data; the typed arrays are shared, not copied, so do not modify them. */
  toSnapshot(): Bm25Snapshot {
    return { ...this.data, params: { ...this.data.params }, analyzer: { ...this.data.analyzer } };
  }

  get documentCount(): number {
    return this.data.ids.length;
  }

  get termCount(): number {
    return this.data.terms.length;
  }

  get averageDocumentLength(): number {
    return this.averageLength;
  }

  /** Lucene's BM25 idf of a term that occurs in `df` of the documents. */
  idf(df: number): number {
    const n = this.data.ids.length;
    return Math.log(1 + (n - df + 0.5) / (df + 0.5));
  }

  /** The query as the index sees it (analysed with the index's own analyzer). */
  analyzeQuery(query: string): string[] {
    return this.analyzer(query);
  }

  /** The best `k` documents for the query, best first; ties keep the lower document position. */
  search(query: string, k: number, options: Bm25SearchOptions = {}): Bm25Hit[] {
    return this.searchTerms(this.analyzer(query), k, options);
  }

  /** Like {@link search} for already analysed terms. */
  searchTerms(terms: readonly string[], k: number, { filter }: Bm25SearchOptions = {}): Bm25Hit[] {
    if (!Number.isInteger(k) || k < 0) {
      throw new RangeError(`k must be a whole number ≥ 0, got ${k}.`);
    }
    const weights = new Map<number, number>();
    for (const term of terms) {
      const id = this.termIds.get(term);
      if (id !== undefined) weights.set(id, (weights.get(id) ?? 0) + 1);
    }
    const { offsets, postingDocs, postingFreqs, ids } = this.data;
    const { accumulator, touched, lengthNorms } = this;
    const candidates: number[] = [];
    for (const [term, weight] of weights) {
      const from = offsets[term] as number;
      const to = offsets[term + 1] as number;
      const idf = weight * this.idf(to - from);
      for (let p = from; p < to; p++) {
        const doc = postingDocs[p] as number;
        const tf = postingFreqs[p] as number;
        if (touched[doc] === 0) {
          touched[doc] = 1;
          accumulator[doc] = 0;
          candidates.push(doc);
        }
        accumulator[doc] =
          (accumulator[doc] as number) + (idf * tf) / (tf + (lengthNorms[doc] as number));
      }
    }
    // Visiting in document order makes ties keep the lower position, independent of query order.
    const order = Uint32Array.from(candidates).sort();
    for (const doc of order) touched[doc] = 0;
    const heap = new TopK(k);
    for (const doc of order) {
      const score = accumulator[doc] as number;
      if (!(score > heap.threshold)) continue;
      const id = ids[doc] as string;
      if (filter && !filter(id)) continue;
      heap.push(score, doc, id);
    }
    return heap.sorted().map((hit) => ({ id: hit.chunkId, score: hit.score }));
  }
}

export function checkParams(params: Bm25Params): Bm25Params {
  if (!Number.isFinite(params.k1) || params.k1 < 0) {
    throw new RangeError(`k1 must be a finite number ≥ 0, got ${params.k1}.`);
  }
  if (!Number.isFinite(params.b) || params.b < 0 || params.b > 1) {
    throw new RangeError(`b must be between 0 and 1, got ${params.b}.`);
  }
  return params;
}
