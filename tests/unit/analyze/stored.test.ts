import '../store/indexeddb-env.ts';
import Papa from 'papaparse';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CLUSTERS_ANALYSIS_ID,
  clustersToCsv,
  clustersView,
  loadSetMatrix,
  readClustersParams,
  runStoredClusters,
  storedChunk,
  storedDuplicates,
  storedPath,
} from '../../../src/core/analyze/stored.ts';
import { docIdOfChunk } from '../../../src/core/store/index.ts';
import type { Progress } from '../../../src/core/progress.ts';
import { emptyEmbeddingBlock, type LuminaStore } from '../../../src/core/store/index.ts';
import { openTestStore } from '../store/indexeddb-env.ts';
import { blobs } from './synthetic.ts';

const TOPICS = [
  ['apple', 'banana', 'orchard'],
  ['rocket', 'orbit', 'launch'],
  ['violin', 'cello', 'concert'],
];
const PER_TOPIC = 12;
const DIMS = 8;
const SET = 'test-model';

let store: LuminaStore;
let datasetId: string;
/** Row i of the set is document `doc-i`, of topic i % 3. */
let vectors: Float32Array;
const docId = (i: number) => `doc-${String(i).padStart(2, '0')}`;
const rows = TOPICS.length * PER_TOPIC;

beforeEach(async () => {
  store = await openTestStore();
  datasetId = (await store.createDataset('topics')).id;
  const texts = Array.from({ length: rows }, (_, i) => {
    const words = TOPICS[i % 3] as string[];
    return `The ${words[0]}, the ${words[1]} and the ${words[2]} of item ${i}`;
  });
  await store.addDocuments(
    datasetId,
    'h',
    texts.map((text, i) => ({ id: docId(i), source: 'topics.jsonl', text, metadata: {} })),
  );
  await store.putChunkBatch(
    datasetId,
    texts.map((text, i) => ({
      docId: docId(i),
      chunks: [{ index: 0, text, charStart: 0, charEnd: text.length, tokenCount: 8 }],
    })),
  );
  vectors = blobs(3, PER_TOPIC, DIMS, 0.5, 11).vectors;
  // Rows 0 and 3 (both topic 0) get the very same vector: a duplicate pair.
  vectors.copyWithin(3 * DIMS, 0, DIMS);
  // Two blocks, so the matrix is read across blocks: rows 0–19 and 20–35.
  const blocks = [0, 1].map((b) => {
    const block = emptyEmbeddingBlock(datasetId, SET, b, DIMS);
    const start = b * 20;
    const end = Math.min(rows, start + 20);
    block.count = end - start;
    block.vectors.set(vectors.subarray(start * DIMS, end * DIMS));
    block.chunkIds = Array.from({ length: end - start }, (_, i) => `${docId(start + i)}#0`);
    return block;
  });
  await store.putEmbeddingBlocks(blocks);
});
afterEach(() => store.close());

describe('loadSetMatrix', () => {
  it('reads every used row of every block in order, with progress', async () => {
    const events: Progress[] = [];
    const matrix = await loadSetMatrix(store, datasetId, SET, {
      onProgress: (e) => events.push(e),
    });
    expect(matrix.dims).toBe(DIMS);
    expect(matrix.ids).toEqual(Array.from({ length: rows }, (_, i) => `${docId(i)}#0`));
    expect(Array.from(matrix.vectors)).toEqual(Array.from(vectors));
    expect(events.at(-1)).toEqual({ status: 'done', fraction: 1, message: 'done' });
  });

  it('fails on a set with no rows and honours an aborted signal', async () => {
    await expect(loadSetMatrix(store, datasetId, 'missing')).rejects.toThrow(/no rows/);
    const controller = new AbortController();
    controller.abort();
    await expect(
      loadSetMatrix(store, datasetId, SET, { signal: controller.signal }),
    ).rejects.toThrow();
  });
});

describe('runStoredClusters', () => {
  it('finds the three topics, labels them by their words, and saves the record', async () => {
    const record = await runStoredClusters(store, datasetId, SET, { k: 3, seed: 1 });
    const saved = await store.getAnalysis(datasetId, SET, CLUSTERS_ANALYSIS_ID);
    expect(saved?.kind).toBe('clusters');
    expect(saved?.rows).toBe(rows);
    expect(saved?.dims).toBe(1);
    expect(saved?.values).toBeInstanceOf(Int32Array);
    expect(Array.from(saved?.values ?? [])).toEqual(Array.from(record.values));
    // Every topic is one cluster.
    const clusterOfTopic = [0, 1, 2].map((t) => record.values[t] as number);
    expect(new Set(clusterOfTopic).size).toBe(3);
    record.values.forEach((c, row) => expect(c).toBe(clusterOfTopic[row % 3]));

    const params = readClustersParams(saved?.params);
    expect(params?.k).toBe(3);
    expect(params?.metric).toBe('cosine');
    expect(params?.silhouette).toBeGreaterThan(0.5);
    for (const [topic, words] of TOPICS.entries()) {
      const label = params?.labels[clusterOfTopic[topic] as number];
      expect(label?.size).toBe(PER_TOPIC);
      // The topic's own words lead; "the", "and", "of" are stopwords.
      expect(new Set(label?.terms.slice(0, 3).map((t) => t.term))).toEqual(new Set(words));
      expect(label?.terms.map((t) => t.term)).not.toContain('the');
      expect(label?.terms[0]?.score).toBeGreaterThan(label?.terms.at(-1)?.score ?? Infinity);
      expect(label?.examples).toHaveLength(3);
      for (const id of label?.examples ?? []) {
        expect(Number(id.slice(4, 6)) % 3).toBe(topic);
      }
    }

    const view = await clustersView(store, record);
    const first = view.clusters[0]?.examples[0];
    expect(first?.text).toContain('item');
    expect(first?.chunkId).toBe(`${first?.docId}#0`);

    const csv = Papa.parse<Record<string, string>>(clustersToCsv(record), {
      header: true,
      skipEmptyLines: true,
    }).data;
    expect(csv).toHaveLength(rows);
    expect(csv[4]).toEqual({
      chunk_id: 'doc-04#0',
      doc_id: 'doc-04',
      cluster: String(clusterOfTopic[1]),
      label: params?.labels[clusterOfTopic[1] as number]?.terms.map((t) => t.term).join(' '),
    });
  });

  it('rejects k above the row count', async () => {
    await expect(runStoredClusters(store, datasetId, SET, { k: rows + 1 })).rejects.toThrow(
      /more than the 36 rows/,
    );
  });
});

describe('readClustersParams', () => {
  it('rejects params of another shape', () => {
    expect(readClustersParams(null)).toBeNull();
    expect(readClustersParams({ k: 3 })).toBeNull();
    expect(
      readClustersParams({
        k: 2,
        seed: 0,
        metric: 'cosine',
        inertia: 1,
        iterations: 3,
        ms: 5,
        silhouette: null,
        labels: [{ cluster: 0, size: 1, terms: [{ term: 'a', score: 1 }], examples: [7] }],
      }),
    ).toBeNull();
  });
});

describe('storedDuplicates', () => {
  it('finds the identical pair with both texts, and only it at 0.9999', async () => {
    const result = await storedDuplicates(store, datasetId, SET, { threshold: 0.9999 });
    expect(result.rows).toBe(rows);
    expect(result.pairs.map(({ a, b }) => [a, b])).toEqual([['doc-00#0', 'doc-03#0']]);
    expect(result.pairs[0]?.score).toBeCloseTo(1, 5);
    expect(result.shownPairs[0]?.chunkA?.docId).toBe('doc-00');
    expect(result.shownPairs[0]?.chunkB?.text).toContain('item 3');
    expect(result.groups).toHaveLength(1);
    expect(result.shownGroups[0]?.members.map((m) => m.docId)).toEqual(['doc-00', 'doc-03']);
  });

  it('caps the pairs joined for display but returns all', async () => {
    const result = await storedDuplicates(store, datasetId, SET, {
      threshold: 0.1,
      displayLimit: 5,
    });
    expect(result.pairs.length).toBeGreaterThan(5);
    expect(result.shownPairs).toHaveLength(5);
    expect(result.shownPairs.map((p) => p.score)).toEqual(
      result.pairs.slice(0, 5).map((p) => p.score),
    );
  });
});

describe('storedPath', () => {
  it('starts at the first row and ends at the second', async () => {
    const from = vectors.slice(1 * DIMS, 2 * DIMS);
    const to = vectors.slice(2 * DIMS, 3 * DIMS);
    const steps = await storedPath(store, datasetId, SET, from, to, { steps: 5, k: 2 });
    expect(steps.map((s) => s.t)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(steps[0]?.hits[0]?.chunkId).toBe('doc-01#0');
    expect(steps[0]?.hits[0]?.score).toBeCloseTo(1, 5);
    expect(steps[4]?.hits[0]?.chunk?.docId).toBe('doc-02');
    expect(steps.every((s) => s.hits.length === 2)).toBe(true);
  });

  it('refuses end points of other dims', async () => {
    await expect(
      storedPath(store, datasetId, SET, new Float32Array(3).fill(1), new Float32Array(3), {}),
    ).rejects.toThrow(/3 dims but the set has 8/);
  });
});

describe('chunk helpers', () => {
  it('reads one chunk and splits chunk ids', async () => {
    expect((await storedChunk(store, datasetId, 'doc-05#0'))?.text).toContain('item 5');
    expect(await storedChunk(store, datasetId, 'nope#0')).toBeNull();
    expect(docIdOfChunk('a#b#3')).toBe('a#b');
  });
});
