import '../../store/indexeddb-env.ts';
import {
  EMBEDDING_BLOCK_ROWS,
  type DatasetRecord,
  type LuminaStore,
} from '../../../../src/core/store/index.ts';
import type { EmbeddingRunner } from '../../../../src/core/embed/job/index.ts';
import type { TextChunk } from '../../../../src/core/types.ts';
import { seededRandom } from '../batching-fixtures.ts';
import { openTestStore } from '../../store/indexeddb-env.ts';

export { openTestStore };

/** FNV-1a, to seed each text's vector from the text alone. */
function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function fakeVector(text: string, dims: number): Float32Array {
  const random = seededRandom(hashText(text));
  return Float32Array.from({ length: dims }, () => random() * 2 - 1);
}

export function fakeTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length + 2;
}

export interface FakeRunnerOptions {
  dims?: number;
  /** Throws a plain (non-resource) error on this call of `embed`, 1-based. */
  crashOnCall?: number;
  /** Fails with an out-of-memory error when texts × longest text exceeds this. */
  hiddenLimit?: number;
  /** Runs before each embed call with its 1-based number (e.g. to abort). */
  beforeCall?: (call: number) => void;
}

export interface FakeRunner extends EmbeddingRunner {
  calls: number;
  embedded: string[];
  /** Texts per successful `embed` call, in call order. */
  batchSizes: number[];
  oomFailures: number;
}

/** A deterministic runner: a text's vector depends on the text only. */
export function fakeRunner(options: FakeRunnerOptions = {}): FakeRunner {
  const dims = options.dims ?? 8;
  const runner: FakeRunner = {
    modelId: 'fake/model',
    device: 'wasm',
    dims,
    normalize: true,
    calls: 0,
    embedded: [],
    batchSizes: [],
    oomFailures: 0,
    countTokens: (texts) => Int32Array.from(texts, fakeTokens),
    embed(texts) {
      runner.calls += 1;
      options.beforeCall?.(runner.calls);
      if (runner.calls === options.crashOnCall) {
        return Promise.reject(new Error('The worker crashed'));
      }
      const cost = texts.length * Math.max(...texts.map(fakeTokens));
      if (options.hiddenLimit !== undefined && cost > options.hiddenLimit) {
        runner.oomFailures += 1;
        return Promise.reject(new RangeError('Array buffer allocation failed'));
      }
      runner.embedded.push(...texts);
      runner.batchSizes.push(texts.length);
      const out = new Float32Array(texts.length * dims);
      texts.forEach((text, i) => out.set(fakeVector(text, dims), i * dims));
      return Promise.resolve(out);
    },
  };
  return runner;
}

/** Chunk text of a length that varies a lot, so batches differ in shape. */
function chunkText(doc: number, index: number, words: number): string {
  return Array.from({ length: words }, (_, w) => `d${doc}c${index}w${w}`).join(' ');
}

export interface Corpus {
  dataset: DatasetRecord;
  /** Chunk id → text. */
  texts: Map<string, string>;
  /** Doc id → chunk ids. */
  docChunks: Map<string, string[]>;
  emptyDocId: string;
}

/** `docs` documents with 1…`maxChunks` chunks each, plus one document without chunks. */
export async function seedCorpus(
  store: LuminaStore,
  docs: number,
  maxChunks: number,
  seed = 1,
): Promise<Corpus> {
  const random = seededRandom(seed);
  const dataset = await store.createDataset('corpus');
  const emptyDocId = 'doc-empty';
  const ids = Array.from({ length: docs }, (_, i) => `doc-${String(i).padStart(4, '0')}`);
  await store.addDocuments(
    dataset.id,
    'h',
    [...ids, emptyDocId].map((id) => ({ id, source: 'x.jsonl', text: id, metadata: {} })),
  );
  const texts = new Map<string, string>();
  const docChunks = new Map<string, string[]>();
  const entries = ids.map((docId, d) => {
    const count = 1 + Math.floor(random() * maxChunks);
    const chunks: TextChunk[] = Array.from({ length: count }, (_, index) => {
      const words = random() < 0.8 ? 1 + Math.floor(random() * 10) : 20 + Math.floor(random() * 40);
      const text = chunkText(d, index, words);
      return { index, text, charStart: 0, charEnd: text.length, tokenCount: words };
    });
    docChunks.set(
      docId,
      chunks.map((chunk) => `${docId}#${chunk.index}`),
    );
    for (const chunk of chunks) texts.set(`${docId}#${chunk.index}`, chunk.text);
    return { docId, chunks };
  });
  await store.putChunkBatch(dataset.id, entries);
  return { dataset: (await store.getDataset(dataset.id)) ?? dataset, texts, docChunks, emptyDocId };
}

/** Every row of a set: id → vector, failing on a duplicate id or a bad block layout. */
export async function readSet(
  store: LuminaStore,
  datasetId: string,
  setId: string,
): Promise<Map<string, Float32Array>> {
  const rows = new Map<string, Float32Array>();
  const blocks = await store.listEmbeddingBlocks(datasetId, setId);
  blocks.forEach((block, i) => {
    if (block.blockIndex !== i) throw new Error(`block ${i} has index ${block.blockIndex}`);
    if (i < blocks.length - 1 && block.count !== EMBEDDING_BLOCK_ROWS) {
      throw new Error(`block ${i} of ${blocks.length} is not full: ${block.count}`);
    }
    block.chunkIds.forEach((id, row) => {
      if (rows.has(id)) throw new Error(`${id} stored twice`);
      rows.set(id, block.vectors.slice(row * block.dims, (row + 1) * block.dims));
    });
  });
  return rows;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i += 1) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

/** Largest difference between two sets compared by row id; infinite when their ids differ. */
export function setDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  if (a.size !== b.size) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (const [id, vector] of a) {
    const other = b.get(id);
    if (!other) return Number.POSITIVE_INFINITY;
    max = Math.max(max, maxAbsDiff(vector, other));
  }
  return max;
}
