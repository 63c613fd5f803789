import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import { TopK } from '../search/top-k.ts';
import { createAnalyzer, type Analyzer, type AnalyzerOptions } from './analyzer.ts';
import { checkParams, defaultBm25Params, type Bm25Hit, type Bm25Params } from './bm25.ts';
import { luceneLength } from './lucene-norms.ts';
import { invertTexts, postingsConsistent, type Postings } from './postings.ts';

export interface Bm25FieldsParams extends Bm25Params {
  /**
   * Elasticsearch `best_fields`: a document scores its best field's score plus `tieBreaker` times
   * the sum of its other fields' scores. 0 keeps only the best field, 1 sums them all.
   */
  tieBreaker: number;
  /**
   * `lucene` rounds field lengths as Lucene's one-byte norms do (exact below 24, then 4
   * significant bits), as Elasticsearch scores; `exact` uses the true lengths.
   */
  lengths: 'lucene' | 'exact';
}

/** BEIR's Elasticsearch baseline: BM25 k1 1.2, b 0.75, `best_fields` with tie_breaker 0.5. */
export const defaultBm25FieldsParams: Bm25FieldsParams = {
  ...defaultBm25Params,
  tieBreaker: 0.5,
  lengths: 'lucene',
};

export interface Bm25FieldsDocument {
  id: string;
  /** Text per field name; a missing field is an empty one. */
  fields: Readonly<Record<string, string | undefined>>;
}

export interface Bm25FieldsBuildOptions extends Partial<Bm25FieldsParams> {
  /** The fields to index, each with its own postings, lengths and statistics. */
  fields: readonly string[];
  analyzer?: AnalyzerOptions;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Documents analysed between event-loop turns. Default 256. */
  chunkSize?: number;
}

export interface Bm25FieldsSearchOptions {
  /** Keeps only documents it accepts; asked only about candidates that would enter the top k. */
  filter?: (id: string) => boolean;
  /** Overrides the index's tie breaker for this search. */
  tieBreaker?: number;
}

/** Structured-clonable form of the index: one set of CSR postings per field. */
export interface Bm25FieldsSnapshot {
  format: 'lumina-bm25-fields/1';
  params: Bm25FieldsParams;
  analyzer: AnalyzerOptions;
  ids: string[];
  fields: string[];
  postings: Postings[];
}

/** A field's collection statistics, as Lucene keeps them per field. */
export interface Bm25FieldStats {
  /** Documents with at least one term in the field: BM25's N for this field. */
  documentCount: number;
  averageLength: number;
}

interface FieldState {
  postings: Postings;
  termIds: Map<string, number>;
  stats: Bm25FieldStats;
  /** `k1 · (1 − b + b · dl / avgdl)` per document, dl rounded as the params say. */
  lengthNorms: Float64Array;
  /** Scratch: this field's score per candidate document during a search. */
  scores: Float64Array;
}

/**
 * BM25 over several text fields scored as an Elasticsearch 7 `multi_match` query of type
 * `best_fields`: each field is its own Lucene BM25 (own document frequencies, document count and
 * average length), a field's score sums its query terms, and the fields combine as a dis_max,
 * `max + tieBreaker · (sum − max)`. This is how BEIR's published BM25 baseline scores
 * (title and text fields, english analyzer, tie_breaker 0.5).
 */
export class Bm25FieldsIndex {
  readonly params: Bm25FieldsParams;
  private readonly analyzer: Analyzer;
  private readonly states: FieldState[];
  private readonly touched: Uint8Array;

  private constructor(private readonly data: Bm25FieldsSnapshot) {
    this.params = { ...data.params };
    this.analyzer = createAnalyzer(data.analyzer);
    const n = data.ids.length;
    this.touched = new Uint8Array(n);
    const { k1, b, lengths } = data.params;
    this.states = data.postings.map((postings) => {
      let documentCount = 0;
      let total = 0;
      for (const length of postings.docLengths) {
        if (length > 0) documentCount++;
        total += length;
      }
      const averageLength = documentCount > 0 ? total / documentCount : 0;
      const lengthNorms = new Float64Array(n);
      for (let d = 0; d < n; d++) {
        const exact = postings.docLengths[d] as number;
        const length = lengths === 'lucene' ? luceneLength(exact) : exact;
        lengthNorms[d] = k1 * (1 - b + (averageLength > 0 ? (b * length) / averageLength : 0));
      }
      return {
        postings,
        termIds: new Map(postings.terms.map((term, i) => [term, i])),
        stats: { documentCount, averageLength },
        lengthNorms,
        scores: new Float64Array(n),
      };
    });
  }

  /** Analyses and indexes every field of the documents, yielding between chunks. */
  static async build(
    documents: readonly Bm25FieldsDocument[],
    options: Bm25FieldsBuildOptions,
  ): Promise<Bm25FieldsIndex> {
    const params = checkFieldsParams({
      k1: options.k1 ?? defaultBm25FieldsParams.k1,
      b: options.b ?? defaultBm25FieldsParams.b,
      tieBreaker: options.tieBreaker ?? defaultBm25FieldsParams.tieBreaker,
      lengths: options.lengths ?? defaultBm25FieldsParams.lengths,
    });
    const fields = checkFields(options.fields);
    const analyzerOptions = { ...(options.analyzer ?? {}) };
    const analyze = createAnalyzer(analyzerOptions);
    const progress = new ProgressReporter(options.onProgress);
    progress.start('Indexing documents');
    const count = documents.length;
    const total = count * fields.length;
    const postings: Postings[] = [];
    for (const [f, field] of fields.entries()) {
      postings.push(
        await invertTexts(
          count,
          (d) => (documents[d] as Bm25FieldsDocument).fields[field] ?? '',
          analyze,
          {
            chunkSize: options.chunkSize ?? 256,
            signal: options.signal,
            onChunk: (done) =>
              progress.update(f * count + done, total, `${field}: ${done} of ${count} documents`),
          },
        ),
      );
    }
    const terms = postings.reduce((sum, field) => sum + field.terms.length, 0);
    progress.finish(`Indexed ${count} documents, ${fields.length} fields, ${terms} field terms`);
    return new Bm25FieldsIndex({
      format: 'lumina-bm25-fields/1',
      params,
      analyzer: analyzerOptions,
      ids: documents.map((doc) => doc.id),
      fields,
      postings,
    });
  }

  /** Restores an index from {@link toSnapshot} (or its structured clone). */
  static fromSnapshot(snapshot: Bm25FieldsSnapshot): Bm25FieldsIndex {
    if (snapshot.format !== 'lumina-bm25-fields/1') {
      throw new Error(`Unknown multi-field BM25 index format "${String(snapshot.format)}".`);
    }
    checkFields(snapshot.fields);
    if (
      snapshot.postings.length !== snapshot.fields.length ||
      !snapshot.postings.every((postings) => postingsConsistent(postings, snapshot.ids.length))
    ) {
      throw new Error('The multi-field BM25 index snapshot is inconsistent.');
    }
    checkFieldsParams(snapshot.params);
    return new Bm25FieldsIndex(snapshot);
  }

  /** The index's data; the typed arrays are shared, not copied, so do not modify them. */
  toSnapshot(): Bm25FieldsSnapshot {
    return {
      ...this.data,
      params: { ...this.data.params },
      analyzer: { ...this.data.analyzer },
      fields: [...this.data.fields],
      postings: this.data.postings.map((postings) => ({ ...postings })),
    };
  }

  get documentCount(): number {
    return this.data.ids.length;
  }

  get fields(): readonly string[] {
    return this.data.fields;
  }

  /** The statistics BM25 uses for one field. */
  fieldStats(field: string): Bm25FieldStats {
    const f = this.data.fields.indexOf(field);
    const state = this.states[f];
    if (!state) throw new RangeError(`The index has no field "${field}".`);
    return { ...state.stats };
  }

  /** The query as the index sees it (analysed with the index's own analyzer). */
  analyzeQuery(query: string): string[] {
    return this.analyzer(query);
  }

  /** The best `k` documents for the query, best first; ties keep the lower document position. */
  search(query: string, k: number, options: Bm25FieldsSearchOptions = {}): Bm25Hit[] {
    return this.searchTerms(this.analyzer(query), k, options);
  }

  /** Like {@link search} for already analysed terms. */
  searchTerms(
    terms: readonly string[],
    k: number,
    { filter, tieBreaker = this.params.tieBreaker }: Bm25FieldsSearchOptions = {},
  ): Bm25Hit[] {
    if (!Number.isInteger(k) || k < 0) {
      throw new RangeError(`k must be a whole number ≥ 0, got ${k}.`);
    }
    checkTieBreaker(tieBreaker);
    // A term repeated in the query counts once per repetition, as Lucene's match query does.
    const weights = new Map<string, number>();
    for (const term of terms) weights.set(term, (weights.get(term) ?? 0) + 1);
    const { touched, states } = this;
    const candidates: number[] = [];
    for (const state of states) {
      const { termIds, scores, lengthNorms } = state;
      const { offsets, postingDocs, postingFreqs } = state.postings;
      const n = state.stats.documentCount;
      for (const [term, weight] of weights) {
        const id = termIds.get(term);
        if (id === undefined) continue;
        const from = offsets[id] as number;
        const to = offsets[id + 1] as number;
        const df = to - from;
        const idf = weight * Math.log(1 + (n - df + 0.5) / (df + 0.5));
        for (let p = from; p < to; p++) {
          const doc = postingDocs[p] as number;
          const tf = postingFreqs[p] as number;
          if (touched[doc] === 0) {
            touched[doc] = 1;
            for (const other of states) other.scores[doc] = 0;
            candidates.push(doc);
          }
          scores[doc] = (scores[doc] as number) + (idf * tf) / (tf + (lengthNorms[doc] as number));
        }
      }
    }
    // Visiting in document order makes ties keep the lower position, independent of query order.
    const order = Uint32Array.from(candidates).sort();
    for (const doc of order) touched[doc] = 0;
    const { ids } = this.data;
    const heap = new TopK(k);
    for (const doc of order) {
      let max = 0;
      let sum = 0;
      for (const state of states) {
        const score = state.scores[doc] as number;
        sum += score;
        if (score > max) max = score;
      }
      const score = max + tieBreaker * (sum - max);
      if (!(score > heap.threshold)) continue;
      const id = ids[doc] as string;
      if (filter && !filter(id)) continue;
      heap.push(score, doc, id);
    }
    return heap.sorted().map((hit) => ({ id: hit.chunkId, score: hit.score }));
  }
}

function checkFields(fields: readonly string[]): string[] {
  if (fields.length === 0)
    throw new RangeError('A multi-field BM25 index needs at least one field.');
  if (new Set(fields).size !== fields.length) {
    throw new RangeError(`Field names must differ, got ${fields.join(', ')}.`);
  }
  return [...fields];
}

function checkTieBreaker(tieBreaker: number): void {
  if (!(tieBreaker >= 0 && tieBreaker <= 1)) {
    throw new RangeError(`tieBreaker must be between 0 and 1, got ${tieBreaker}.`);
  }
}

function checkFieldsParams(params: Bm25FieldsParams): Bm25FieldsParams {
  checkParams(params);
  checkTieBreaker(params.tieBreaker);
  if (params.lengths !== 'lucene' && params.lengths !== 'exact') {
    throw new RangeError(`lengths must be "lucene" or "exact", got "${String(params.lengths)}".`);
  }
  return params;
}
