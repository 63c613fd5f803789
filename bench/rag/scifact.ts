import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BundleChunk } from '../../src/core/bundle/index.ts';
import { chunkText, type ChunkOptions } from '../../src/core/chunk/index.ts';
import type { EmbeddingModel } from '../../src/core/embed/runtime/index.ts';
import { embedAll } from '../../src/cli/eval-model.ts';
import { parseBeirQrels, parseBeirQueries } from '../../src/core/eval/beir.ts';
import {
  askExtractive,
  BundleRagSource,
  type EmbedSentences,
  type RagMode,
} from '../../src/core/rag/index.ts';
import type { TokenCounter } from '../../src/core/tokenizer/index.ts';

export interface Claim {
  id: string;
  text: string;
  relevant: Set<string>;
}

export interface SciFactCorpus {
  chunks: BundleChunk[];
  documents: number;
  claims: Claim[];
  chunking: ChunkOptions;
}

/** Chunks as the app's sentence chunker makes them; the same chunks for every retriever. */
export const CHUNKING: ChunkOptions = { mode: 'sentence', chunkTokens: 128, overlapTokens: 16 };

/** A row of SciFact's corpus.jsonl. */
export interface SciFactDocument {
  _id: string;
  title: string;
  text: string;
}

/** One SciFact document (title + blank line + abstract) as bundle chunks, chunked with CHUNKING. */
export function sciFactChunks(doc: SciFactDocument, counter: TokenCounter): BundleChunk[] {
  return chunkText(`${doc.title}\n\n${doc.text}`, CHUNKING, counter).map((chunk) => ({
    docId: doc._id,
    chunkIndex: chunk.index,
    source: 'scifact',
    text: chunk.text,
    charStart: chunk.charStart,
    charEnd: chunk.charEnd,
    tokenCount: chunk.tokenCount,
    metadata: {},
  }));
}

/**
 * The full SciFact corpus (title + blank line + abstract, chunked by sentences with `counter`) and
 * the test claims with their relevant documents from qrels/test.tsv (used only for scoring).
 */
export async function loadSciFactCorpus(
  datasets: string,
  counter: TokenCounter,
  claimLimit: number | null,
): Promise<SciFactCorpus> {
  const dir = path.join(datasets, 'scifact');
  const lines = async (file: string) => (await readFile(path.join(dir, file), 'utf8')).split('\n');
  const judged = await parseBeirQrels(await lines('qrels/test.tsv'), undefined, 'qrels/test.tsv');
  const queries = await parseBeirQueries(await lines('queries.jsonl'));
  const qrels = new Map<string, Set<string>>();
  for (const [query, docs] of judged) {
    const relevant = new Set([...docs].filter(([, score]) => score > 0).map(([doc]) => doc));
    if (relevant.size > 0) qrels.set(query, relevant);
  }
  const claims = [...qrels].map(([id, relevant]) => {
    const text = queries.get(id);
    if (text === undefined) throw new Error(`SciFact test claim ${id} is not in queries.jsonl`);
    return { id, text, relevant };
  });
  const chunks: BundleChunk[] = [];
  let documents = 0;
  for (const line of (await readFile(path.join(dir, 'corpus.jsonl'), 'utf8')).split('\n')) {
    if (!line.trim()) continue;
    documents++;
    chunks.push(...sciFactChunks(JSON.parse(line) as SciFactDocument, counter));
  }
  return {
    chunks,
    documents,
    claims: claimLimit === null ? claims : claims.slice(0, claimLimit),
    chunking: CHUNKING,
  };
}

export interface RecallRow {
  mode: RagMode;
  k: number;
  claims: number;
  /** Claims whose answer cites a relevant document. */
  cited: number;
  /** Claims whose retrieved passages (before the answer) include a relevant document. */
  retrieved: number;
  abstained: number;
  /** Mean wall time of one extractive answer (retrieval included), ms. */
  meanMs: number;
}

export interface DenseSide {
  model: EmbeddingModel;
  /** Row-major chunk vectors, row i = chunk i. */
  embeddings: Float32Array;
}

/** Embeds every chunk with the dense model (documents), in token-budgeted batches. */
export async function embedChunks(
  model: EmbeddingModel,
  chunks: readonly BundleChunk[],
  log: (line: string) => void,
): Promise<Float32Array> {
  let last = 0;
  return embedAll(
    model,
    chunks.map((c) => c.text),
    'document',
    8192,
    (done, total) => {
      if (done === total || performance.now() - last > 15_000) {
        last = performance.now();
        log(`embedded ${done}/${total} chunks`);
      }
    },
  );
}

/**
 * Citation recall@k of extractive answers: for each claim and k, `askExtractive` (the CLI's and
 * the Ask view's code) retrieves k passages, answers with sentences and cites their sources; the
 * claim counts when a cited source is one of its relevant documents. Retrieval recall@k is
 * measured on the same call's passages.
 */
export async function citationRecall(
  corpus: SciFactCorpus,
  modes: readonly RagMode[],
  ks: readonly number[],
  counter: TokenCounter,
  dense: DenseSide | null,
  log: (line: string) => void,
): Promise<RecallRow[]> {
  const rows: RecallRow[] = [];
  const source = new BundleRagSource(
    {
      chunks: corpus.chunks,
      embeddings: dense?.embeddings ?? null,
      dims: dense ? dense.model.info.dims : null,
    },
    { name: 'SciFact' },
  );
  const queryVectors = new Map<string, Float32Array>();
  const sentenceVectors = new Map<string, Float32Array>();
  let embedSentences: EmbedSentences | undefined;
  if (dense) {
    const { model } = dense;
    const dims = model.info.dims;
    const flat = await model.embed(
      corpus.claims.map((c) => c.text),
      'query',
    );
    corpus.claims.forEach((c, i) => queryVectors.set(c.id, flat.slice(i * dims, (i + 1) * dims)));
    // Sentences recur across claims and k; each is embedded once.
    embedSentences = async (texts, signal) => {
      const missing = [...new Set(texts.filter((t) => !sentenceVectors.has(t)))];
      if (missing.length > 0) {
        const vectors = await model.embed(missing, 'document', signal);
        missing.forEach((t, i) => sentenceVectors.set(t, vectors.slice(i * dims, (i + 1) * dims)));
      }
      return texts.map((t) => sentenceVectors.get(t) as Float32Array);
    };
  }
  for (const mode of modes) {
    if (mode !== 'bm25' && !dense) continue;
    for (const k of ks) {
      const row: RecallRow = {
        mode,
        k,
        claims: corpus.claims.length,
        cited: 0,
        retrieved: 0,
        abstained: 0,
        meanMs: 0,
      };
      const started = performance.now();
      for (const claim of corpus.claims) {
        const queryVector = queryVectors.get(claim.id);
        const answer = await askExtractive(source, claim.text, {
          mode,
          k,
          counter,
          budgetTokens: 1024,
          ...(mode !== 'bm25' && queryVector ? { queryVector } : {}),
          ...(mode !== 'bm25' && embedSentences ? { embedSentences } : {}),
        });
        if (answer.citations.some((c) => claim.relevant.has(c.docId))) row.cited++;
        if (answer.passages.some((p) => p.neighbourOf === null && claim.relevant.has(p.docId))) {
          row.retrieved++;
        }
        if (answer.abstained) row.abstained++;
      }
      row.meanMs = (performance.now() - started) / corpus.claims.length;
      log(
        `${mode} k=${k}: cited ${row.cited}/${row.claims}, retrieved ${row.retrieved}/${row.claims}, ` +
          `abstained ${row.abstained} (${row.meanMs.toFixed(1)} ms per answer)`,
      );
      rows.push(row);
    }
  }
  return rows;
}
