import * as Comlink from 'comlink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTERS_ANALYSIS_ID } from '../../src/core/analyze/stored.ts';
import { mulberry32 } from '../../src/core/prepare/index.ts';
import type { Progress } from '../../src/core/progress.ts';
import {
  EMBEDDING_BLOCK_ROWS,
  emptyEmbeddingBlock,
  openStore,
  type EmbeddingBlockRecord,
} from '../../src/core/store/index.ts';
import { analyzeClient } from '../../src/lib/clients.ts';
import { deleteStoredDatasets } from './store-helpers.ts';

const DIMS = 384;
const TOPICS = 10;
const PER_TOPIC = 600;
const ROWS = TOPICS * PER_TOPIC;
const SET = 'synthetic';
/** Rows 0 … 4 get exact copies appended after the blobs: five planted duplicate pairs. */
const TWINS = 5;
const WORDS = [
  'amber',
  'basalt',
  'cobalt',
  'dune',
  'ember',
  'fjord',
  'granite',
  'heron',
  'iris',
  'jade',
];

function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** The real analyze worker, as the app starts it, against the app's real IndexedDB. */
describe('analyze worker', () => {
  let datasetId = '';
  const vectors: Float32Array[] = [];

  beforeAll(async () => {
    const random = mulberry32(5);
    const centres = Array.from({ length: TOPICS }, () => {
      const c = Float32Array.from({ length: DIMS }, () => normal(random));
      const length = Math.hypot(...c);
      return c.map((x) => x / length);
    });
    for (let i = 0; i < ROWS; i++) {
      const centre = centres[i % TOPICS] as Float32Array;
      const v = centre.map((x) => x + 0.03 * normal(random));
      const length = Math.hypot(...v);
      vectors.push(v.map((x) => x / length));
    }
    for (let i = 0; i < TWINS; i++) vectors.push((vectors[i] as Float32Array).slice());
    const store = await openStore();
    datasetId = (await store.createDataset(`analyze worker test ${crypto.randomUUID()}`)).id;
    const texts = vectors.map((_, i) => {
      const topic = WORDS[(i < ROWS ? i : i - ROWS) % TOPICS] as string;
      return `Row ${i} is about ${topic} and the ${topic} of it.`;
    });
    const docId = (i: number) => `doc-${i}`;
    await store.addDocuments(
      datasetId,
      'h',
      texts.map((text, i) => ({ id: docId(i), source: 'synthetic.jsonl', text, metadata: {} })),
    );
    await store.putChunkBatch(
      datasetId,
      texts.map((text, i) => ({
        docId: docId(i),
        chunks: [{ index: 0, text, charStart: 0, charEnd: text.length, tokenCount: 9 }],
      })),
    );
    const blocks: EmbeddingBlockRecord[] = [];
    vectors.forEach((vector, i) => {
      const b = Math.floor(i / EMBEDDING_BLOCK_ROWS);
      const block = (blocks[b] ??= emptyEmbeddingBlock(datasetId, SET, b, DIMS));
      block.vectors.set(vector, block.count * DIMS);
      block.chunkIds.push(`${docId(i)}#0`);
      block.count++;
    });
    await store.putEmbeddingBlocks(blocks);
    store.close();
  });

  afterAll(async () => {
    analyzeClient.terminate();
    await deleteStoredDatasets(datasetId);
  });

  it('clusters the set into its topics, labels them and saves the result', async () => {
    const events: Progress[] = [];
    const started = performance.now();
    const view = await analyzeClient.call((api) =>
      api.clusters(
        datasetId,
        SET,
        { k: TOPICS, seed: 3 },
        undefined,
        Comlink.proxy((event: Progress) => void events.push(event)),
      ),
    );
    console.log(
      `clusters k=${TOPICS} of ${vectors.length}×${DIMS}: ${(performance.now() - started).toFixed(0)} ms (worker ${view.params.ms} ms)`,
    );
    expect(view.rows).toBe(vectors.length);
    expect(view.params.silhouette).toBeGreaterThan(0.5);
    await expect.poll(() => events.at(-1)?.status).toBe('done');
    const store = await openStore();
    const record = await store.getAnalysis(datasetId, SET, CLUSTERS_ANALYSIS_ID);
    store.close();
    const assignments = record?.values ?? new Int32Array();
    // Each topic is exactly one cluster, and that cluster's top term is the topic's word.
    for (let topic = 0; topic < TOPICS; topic++) {
      const cluster = assignments[topic] as number;
      for (let i = topic; i < ROWS; i += TOPICS) expect(assignments[i]).toBe(cluster);
      const label = view.clusters.find((c) => c.cluster === cluster);
      expect(label?.terms[0]).toBe(WORDS[topic]);
      expect(label?.examples[0]?.text).toContain(WORDS[topic]);
    }
    const stored = await analyzeClient.call((api) => api.storedClusters(datasetId, SET));
    expect(stored?.clusters.map((c) => c.size)).toEqual(view.clusters.map((c) => c.size));
    const csv = await analyzeClient.call((api) => api.clustersCsv(datasetId, SET));
    expect(csv?.trim().split('\n')).toHaveLength(vectors.length + 1);
  });

  it('finds exactly the planted duplicate pairs', async () => {
    const started = performance.now();
    const result = await analyzeClient.call((api) =>
      api.duplicates(datasetId, SET, { threshold: 0.999 }),
    );
    console.log(
      `duplicates ≥ 0.999 of ${vectors.length}×${DIMS}: ${(performance.now() - started).toFixed(0)} ms`,
    );
    expect(result.pairs.map((p) => [p.a, p.b]).sort()).toEqual(
      Array.from({ length: TWINS }, (_, i) => [`doc-${i}#0`, `doc-${ROWS + i}#0`]).sort(),
    );
    expect(result.groups).toHaveLength(TWINS);
    expect(result.shownPairs[0]?.chunkA?.text).toContain('Row');
  });

  it('stops a run when its signal is aborted', async () => {
    const controller = new AbortController();
    const running = analyzeClient.call(
      (api) => api.clusters(datasetId, SET, { k: 200, seed: 1 }, controller.signal),
      controller.signal,
    );
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(3000);
    // The saved result is still the earlier k = 10 one.
    const stored = await analyzeClient.call((api) => api.storedClusters(datasetId, SET));
    expect(stored?.params.k).toBe(TOPICS);
  });
});
