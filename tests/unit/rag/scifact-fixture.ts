import { sciFactChunks, type SciFactDocument } from '../../../bench/rag/scifact.ts';
import { BundleRagSource } from '../../../src/core/rag/index.ts';
import { minilmTokenizer, readShared } from '../../support/shared-data.ts';

export interface SciFactSubset {
  source: BundleRagSource;
  /** Test claims whose relevant documents are all in the subset: id, text, relevant doc ids. */
  claims: { id: string; text: string; relevant: Set<string> }[];
  documents: number;
  chunks: number;
}

/**
 * The first `claimCount` SciFact test claims (in qrels order) and a corpus of `docCount`
 * documents: their relevant documents plus the first others of corpus.jsonl as distractors,
 * chunked by sentences with the real MiniLM tokenizer. BM25 only (no vectors).
 */
export function sciFactSubset(claimCount = 20, docCount = 300): SciFactSubset {
  const qrels = new Map<string, Set<string>>();
  for (const line of readShared('datasets/scifact/qrels/test.tsv').split('\n').slice(1)) {
    const [query, doc, score] = line.split('\t');
    if (!query || !doc || Number(score) <= 0) continue;
    const set = qrels.get(query) ?? new Set<string>();
    set.add(doc);
    qrels.set(query, set);
  }
  const queries = new Map<string, string>();
  for (const line of readShared('datasets/scifact/queries.jsonl').split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as { _id: string; text: string };
    queries.set(row._id, row.text);
  }
  const claims = [...qrels]
    .slice(0, claimCount)
    .map(([id, relevant]) => ({ id, text: queries.get(id) ?? '', relevant }));
  const wanted = new Set(claims.flatMap((c) => [...c.relevant]));
  const corpus = readShared('datasets/scifact/corpus.jsonl')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as SciFactDocument);
  const picked = corpus.filter((doc) => wanted.has(doc._id));
  for (const doc of corpus) {
    if (picked.length >= docCount) break;
    if (!wanted.has(doc._id)) picked.push(doc);
  }
  const counter = minilmTokenizer();
  const chunks = picked.flatMap((doc) => sciFactChunks(doc, counter));
  return {
    source: new BundleRagSource(
      { chunks, embeddings: null, dims: null },
      { name: 'SciFact (300 documents)' },
    ),
    claims,
    documents: picked.length,
    chunks: chunks.length,
  };
}
