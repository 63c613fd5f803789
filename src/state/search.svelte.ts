import * as Comlink from 'comlink';
import type {
  BatchResultRow,
  DatasetHit,
  DatasetQuery,
  FusionMethod,
  MetadataScalar,
  QaScores,
  SearchFilter,
  SearchMode,
} from '../core/search/index.ts';
import {
  batchResultsToCsv,
  batchResultsToJsonl,
  parseBatchQueries,
  scoreQa,
} from '../core/search/index.ts';
import type { DocumentRecord } from '../core/store/index.ts';
import type { DatasetQueryOptions } from '../../workers/index.worker.ts';
import { indexClient, syncClient } from '../lib/clients.ts';
import { downloadBlob } from '../lib/download.ts';
import type { ExploreState } from './explore.svelte.ts';
import { pageStore } from './library.svelte.ts';
import { downloadSelectionBundle } from './selection-bundle.ts';
import { toPineconeFilter } from '../core/sync/search-filter.ts';
import { pineconeConfig, safeMessage } from './sync.svelte.ts';

export type VectorBackend = 'auto' | 'wasm' | 'webgpu' | 'js';

/** Where a semantic search runs: the exact index in this browser, or the synced Pinecone index. */
export type SearchTarget = 'local' | 'pinecone';

/** Questions a Q&A evaluation asks at most (a sample of the dataset's documents). */
const QA_EVAL_LIMIT = 500;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `key=value` lines → metadata conditions; numbers and booleans are typed as JSON reads them. */
export function parseMetadataFilter(text: string): {
  metadata: Record<string, MetadataScalar[]>;
  problems: string[];
} {
  const metadata: Record<string, MetadataScalar[]> = {};
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const at = line.indexOf('=');
    if (at <= 0) {
      problems.push(`Filter line ${i + 1}: write field=value.`);
      return;
    }
    const key = line.slice(0, at).trim();
    const rawValue = line.slice(at + 1).trim();
    let value: MetadataScalar = rawValue;
    if (/^-?\d+(\.\d+)?$/.test(rawValue)) value = Number(rawValue);
    else if (rawValue === 'true' || rawValue === 'false') value = rawValue === 'true';
    (metadata[key] ??= []).push(value);
  });
  return { metadata, problems };
}

/** The Search tool: semantic, lexical and hybrid search, batch search and Q&A retrieval. */
export class SearchState {
  mode = $state<SearchMode>('semantic');
  k = $state(10);
  fusion = $state<FusionMethod>('rrf');
  /** Weighted fusion: the semantic list's weight. */
  alpha = $state(0.5);
  backend = $state<VectorBackend>('auto');
  /** BM25 term-frequency saturation and length normalisation (Elasticsearch's defaults). */
  k1 = $state(1.2);
  b = $state(0.75);
  /** Comma-separated sources (file paths) to keep; empty keeps all. */
  sources = $state('');
  /** `field=value` lines; all must hold. */
  metadataFilter = $state('');

  /** Where semantic search runs; Pinecone once the dataset has Pinecone settings and a key. */
  target = $state<SearchTarget>('local');
  pineconeReady = $state(false);

  query = $state('');
  hits = $state.raw<DatasetHit[]>([]);
  /** What the last search was, for the results heading. */
  lastSearch = $state<{ label: string; ms: number; backend: string | null } | null>(null);
  searching = $state(false);
  error = $state<string | null>(null);
  /** Progress of "Export results as bundle" while it runs, else null. */
  bundleFraction = $state<number | null>(null);
  bundleNotice = $state<string | null>(null);

  batchName = $state('');
  batchRows = $state.raw<BatchResultRow[]>([]);
  batchProblems = $state<string[]>([]);
  batchProgress = $state<string | null>(null);

  questionField = $state('question');
  /** The question field of each hit's document, for Q&A results. */
  questions = $state.raw<Record<string, string>>({});
  qaScores = $state<QaScores | null>(null);
  qaProgress = $state<string | null>(null);

  private controller: AbortController | null = null;

  constructor(readonly explore: ExploreState) {}

  /** The filter the inputs describe; throws with the line at fault. */
  where(): SearchFilter | undefined {
    const sources = this.sources
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const { metadata, problems } = parseMetadataFilter(this.metadataFilter);
    if (problems.length) throw new Error(problems.join(' '));
    const filter: SearchFilter = {
      ...(sources.length ? { sources } : {}),
      ...(Object.keys(metadata).length ? { metadata } : {}),
    };
    return Object.keys(filter).length ? filter : undefined;
  }

  private options(mode: SearchMode, k: number, exclude?: string[]): DatasetQueryOptions {
    const where = this.where();
    return {
      mode,
      k,
      ...(mode !== 'lexical' ? { setId: this.explore.setId } : {}),
      ...(where ? { where } : {}),
      ...(this.backend !== 'auto' ? { backend: this.backend } : {}),
      fusion: { method: this.fusion, alpha: this.alpha },
      bm25: { k1: this.k1, b: this.b },
      ...(exclude ? { exclude } : {}),
    };
  }

  private begin(): AbortSignal {
    this.controller?.abort();
    this.controller = new AbortController();
    this.error = null;
    return this.controller.signal;
  }

  cancel(): void {
    this.controller?.abort();
  }

  private async queries(texts: readonly string[], signal: AbortSignal): Promise<DatasetQuery[]> {
    if (this.mode === 'lexical') return texts.map((text) => ({ text }));
    const vectors = await this.explore.embedTexts(texts, 'query', signal, (done, total) => {
      if (total > 1) this.batchProgress = `Embedding queries ${done}/${total}`;
    });
    return texts.map((text, i) => ({ text, ...(vectors[i] ? { vector: vectors[i] } : {}) }));
  }

  /** Whether Pinecone settings and a key for the dataset exist in this browser. */
  refreshPinecone(): void {
    const datasetId = this.explore.datasetId;
    this.pineconeReady = datasetId !== null && pineconeConfig(datasetId) !== null;
    if (!this.pineconeReady) this.target = 'local';
  }

  async search(): Promise<void> {
    const datasetId = this.explore.datasetId;
    const text = this.query.trim();
    if (!datasetId || !text) return;
    if (this.target === 'pinecone') return this.searchPinecone(datasetId, text);
    const signal = this.begin();
    this.searching = true;
    try {
      const [query] = await this.queries([text], signal);
      if (!query) return;
      const options = this.options(this.mode, this.k);
      const result = await indexClient.call(
        (api) =>
          api.query(
            datasetId,
            [
              query.vector
                ? { text, vector: Comlink.transfer(query.vector, [query.vector.buffer]) }
                : { text },
            ],
            options,
          ),
        signal,
      );
      this.hits = result.hits[0] ?? [];
      this.lastSearch = {
        label: `${this.mode} search for “${text}”`,
        ms: result.ms,
        backend: result.backend,
      };
      await this.loadQuestions(datasetId);
    } catch (error) {
      if (!signal.aborted) this.error = `Search failed: ${message(error)}`;
    } finally {
      this.searching = false;
    }
  }

  /**
   * Embeds the query with the set's model here, then asks the dataset's Pinecone namespace for
   * its nearest vectors; texts come from Pinecone's `text` metadata, else from the local chunk.
   */
  private async searchPinecone(datasetId: string, text: string): Promise<void> {
    const config = pineconeConfig(datasetId);
    const signal = this.begin();
    if (!config) {
      this.error = 'Set up Pinecone for this dataset in Library → Pinecone sync first.';
      return;
    }
    this.searching = true;
    const started = performance.now();
    try {
      const filter = toPineconeFilter(this.where());
      const [vector] = await this.explore.embedTexts([text], 'query', signal);
      if (!vector) return;
      const matches = await syncClient.call(
        (api) =>
          api.query(
            config,
            Comlink.transfer(vector, [vector.buffer]),
            this.k,
            filter,
            datasetId,
            signal,
          ),
        signal,
      );
      const store = await pageStore();
      const hits: DatasetHit[] = [];
      for (const [rank, match] of matches.entries()) {
        const at = match.id.lastIndexOf('#');
        const docId = at < 0 ? match.id : match.id.slice(0, at);
        const index = Number(match.id.slice(at + 1));
        const local = (await store.listChunks(datasetId, docId)).find((c) => c.index === index);
        const metaText = match.metadata['text'];
        const source = match.metadata['source'];
        hits.push({
          chunkId: match.id,
          score: match.score,
          chunk: local
            ? { ...local, ...(typeof metaText === 'string' ? { text: metaText } : {}) }
            : typeof metaText === 'string'
              ? {
                  datasetId,
                  id: match.id,
                  docId,
                  index,
                  text: metaText,
                  charStart: 0,
                  charEnd: 0,
                  tokenCount: 0,
                }
              : null,
          document: { id: docId, source: typeof source === 'string' ? source : '' },
          semanticRank: rank + 1,
          lexicalRank: null,
        });
      }
      this.hits = hits;
      this.lastSearch = {
        label: `Pinecone search for “${text}”`,
        ms: performance.now() - started,
        backend: null,
      };
      await this.loadQuestions(datasetId);
    } catch (error) {
      if (!signal.aborted)
        this.error = `Pinecone search failed: ${safeMessage(error, config.apiKey)}`;
    } finally {
      this.searching = false;
    }
  }

  /** Chunks nearest to a result's own stored vector, the result itself left out. */
  async moreLikeThis(hit: DatasetHit): Promise<void> {
    const datasetId = this.explore.datasetId;
    const setId = this.explore.setId;
    if (!datasetId || !setId) return;
    const signal = this.begin();
    this.searching = true;
    try {
      const vector = await indexClient.call(
        (api) => api.chunkVector(datasetId, setId, hit.chunkId),
        signal,
      );
      if (!vector) throw new Error(`${hit.chunkId} has no vector in ${setId}.`);
      const options = this.options('semantic', this.k, [hit.chunkId]);
      const result = await indexClient.call(
        (api) =>
          api.query(
            datasetId,
            [{ text: '', vector: Comlink.transfer(vector, [vector.buffer]) }],
            options,
          ),
        signal,
      );
      this.hits = result.hits[0] ?? [];
      this.lastSearch = {
        label: `More like ${hit.chunkId}`,
        ms: result.ms,
        backend: result.backend,
      };
      await this.loadQuestions(datasetId);
    } catch (error) {
      if (!signal.aborted) this.error = `More like this failed: ${message(error)}`;
    } finally {
      this.searching = false;
    }
  }

  /** The result chunks (and their documents) of the last search as a Lumina bundle. */
  async exportResultsBundle(): Promise<void> {
    const datasetId = this.explore.datasetId;
    const setId = this.explore.setId;
    const label = this.lastSearch?.label ?? 'search';
    if (!datasetId || !this.hits.length || this.bundleFraction !== null) return;
    this.error = null;
    this.bundleNotice = null;
    if (!setId) {
      this.error = 'Embed this dataset first: a bundle carries the vectors of an embedding set.';
      return;
    }
    this.bundleFraction = 0;
    try {
      const fileName = await downloadSelectionBundle({
        datasetId,
        setId,
        datasetName: this.explore.library.selected?.name ?? 'dataset',
        tag: 'search',
        selection: {
          kind: 'chunks',
          chunkIds: this.hits.map((hit) => hit.chunkId),
          description: `${this.hits.length} results of ${label}`,
        },
        onProgress: (fraction) => {
          this.bundleFraction = Math.max(this.bundleFraction ?? 0, fraction);
        },
      });
      this.bundleNotice = `Exported ${this.hits.length} results as ${fileName}.`;
    } catch (error) {
      this.error = `Bundle export failed: ${message(error)}`;
    } finally {
      this.bundleFraction = null;
    }
  }

  async openHit(hit: DatasetHit): Promise<void> {
    if (hit.chunk) await this.explore.library.openDocument(hit.chunk.docId, hit.chunk.index);
  }

  /** Reads the question field of the hits' documents (Q&A datasets show it with each answer). */
  private async loadQuestions(datasetId: string): Promise<void> {
    const field = this.questionField.trim();
    const found: Record<string, string> = {};
    if (field) {
      const store = await pageStore();
      for (const hit of this.hits) {
        const docId = hit.chunk?.docId;
        if (!docId || docId in found) continue;
        const value = (await store.getDocument(datasetId, docId))?.metadata[field];
        if (typeof value === 'string') found[docId] = value;
      }
    }
    this.questions = found;
  }

  /** Runs every query of an uploaded file and keeps the top-k rows of each for download. */
  async runBatch(file: File): Promise<void> {
    const datasetId = this.explore.datasetId;
    if (!datasetId) return;
    const signal = this.begin();
    this.searching = true;
    this.batchName = file.name;
    this.batchRows = [];
    try {
      const parsed = parseBatchQueries(file.name, await file.text());
      this.batchProblems = parsed.problems;
      if (!parsed.queries.length) throw new Error(`${file.name} holds no queries.`);
      const queries = await this.queries(
        parsed.queries.map((q) => q.text),
        signal,
      );
      this.batchProgress = `Searching ${queries.length} queries`;
      const options = this.options(this.mode, this.k);
      const transfers = queries.flatMap((q) => (q.vector ? [q.vector.buffer] : []));
      const result = await indexClient.call(
        (api) => api.query(datasetId, Comlink.transfer(queries, transfers), options),
        signal,
      );
      this.batchRows = result.hits.flatMap((hits, q) => {
        const query = parsed.queries[q];
        return hits.map((hit, rank) => ({
          queryId: query?.id ?? String(q + 1),
          query: query?.text ?? '',
          rank: rank + 1,
          score: hit.score,
          chunkId: hit.chunkId,
          docId: hit.chunk?.docId ?? hit.chunkId,
          source: hit.document?.source ?? '',
          text: hit.chunk?.text ?? '',
        }));
      });
      this.batchProgress = `${parsed.queries.length} queries → ${this.batchRows.length} results in ${(result.ms / 1000).toFixed(1)} s`;
    } catch (error) {
      this.batchProgress = null;
      if (!signal.aborted) this.error = `Batch search failed: ${message(error)}`;
    } finally {
      this.searching = false;
    }
  }

  downloadBatch(format: 'csv' | 'jsonl'): void {
    const base = this.batchName.replace(/\.[^.]+$/, '') || 'queries';
    if (format === 'csv')
      downloadBlob(batchResultsToCsv(this.batchRows), `${base}-results.csv`, 'text/csv');
    else
      downloadBlob(
        batchResultsToJsonl(this.batchRows),
        `${base}-results.jsonl`,
        'application/jsonl',
      );
  }

  /**
   * Asks each document's question (its `questionField` metadata) against the dataset and scores
   * whether its own answer comes back: hit@1, hit@k and MRR@k over up to 500 questions.
   */
  async evaluateQa(): Promise<void> {
    const datasetId = this.explore.datasetId;
    const field = this.questionField.trim();
    if (!datasetId || !field) return;
    const signal = this.begin();
    this.searching = true;
    this.qaScores = null;
    try {
      const store = await pageStore();
      const asked: { docId: string; question: string }[] = [];
      for await (const page of store.iterateDocuments(datasetId, 500, signal)) {
        for (const doc of page as DocumentRecord[]) {
          const question = doc.metadata[field];
          if (typeof question === 'string' && question.trim())
            asked.push({ docId: doc.id, question: question.trim() });
        }
        if (asked.length >= QA_EVAL_LIMIT) break;
      }
      const sample = asked.slice(0, QA_EVAL_LIMIT);
      if (!sample.length)
        throw new Error(`No document has a "${field}" field: choose the field holding questions.`);
      this.qaProgress = `Asking ${sample.length} questions`;
      const queries = await this.queries(
        sample.map((item) => item.question),
        signal,
      );
      const options = this.options(this.mode, this.k);
      const transfers = queries.flatMap((q) => (q.vector ? [q.vector.buffer] : []));
      const result = await indexClient.call(
        (api) => api.query(datasetId, Comlink.transfer(queries, transfers), options),
        signal,
      );
      this.qaScores = scoreQa(
        sample.map((item, q) => ({
          docId: item.docId,
          chunkIds: (result.hits[q] ?? []).map((hit) => hit.chunkId),
        })),
        this.k,
      );
      this.qaProgress = null;
    } catch (error) {
      this.qaProgress = null;
      if (!signal.aborted) this.error = `Q&A evaluation failed: ${message(error)}`;
    } finally {
      this.searching = false;
    }
  }
}
