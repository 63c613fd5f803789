import * as Comlink from 'comlink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BertWeights } from '../../src/core/model/index.ts';
import {
  buildSeededCrossEncoderFolder,
  type CrossEncoderFolder,
} from '../../src/core/model/seeded-cross-encoder-folder.ts';
import type { Progress } from '../../src/core/progress.ts';
import type { RagAnswer } from '../../src/core/rag/index.ts';
import { openStore } from '../../src/core/store/index.ts';
import { loadTokenizer } from '../../src/core/tokenizer/index.ts';
import { indexClient } from '../../src/lib/clients.ts';
import type { AskOptions } from '../../workers/index.worker.ts';
import {
  crossEncoderWeights,
  referenceCrossEncoderLogit,
} from '../support/reference-cross-encoder.ts';
import {
  minilmTokenizerConfigText,
  minilmTokenizerFiles,
  minilmTokenizerText,
  tinyBertConfigJson,
} from './minilm-helpers.ts';
import { deleteStoredDatasets } from './store-helpers.ts';

/**
 * The real index worker re-ranks Ask's retrieval with a seeded cross-encoder folder written here:
 * the order and scores must be those of an independent float64 BertForSequenceClassification
 * forward pass over the folder's safetensors weights (the worker runs the ONNX export).
 */

const NAME = 'seeded-cross-encoder';
/** Shares terms with most passages, so BM25 hands the reranker several candidates. */
const QUERY = 'Do bees use the sun, the Moon or the Earth to find flowers and lava?';
const PASSAGES = [
  'Honey bees communicate the location of flowers with a waggle dance.',
  'Volcanoes form where magma reaches the surface of the Earth.',
  'The angle of the dance shows the direction of the food relative to the sun.',
  'Ocean tides are caused mainly by the gravity of the Moon.',
  'Bees find flowers by their scent and colour.',
  'Basalt lava flows are runny because they hold little silica, so they travel far from the vent.',
  'Glaciers carve valleys over thousands of years.',
];

const tokenizer = loadTokenizer(
  JSON.parse(minilmTokenizerText),
  JSON.parse(minilmTokenizerConfigText),
);
let folder: CrossEncoderFolder;
let weights: BertWeights;
let datasetId = '';

beforeAll(async () => {
  folder = await buildSeededCrossEncoderFolder({
    // A wider init than HF's 0.02 spreads the seeded logits far beyond the float32 error.
    configJson: { ...tinyBertConfigJson, initializer_range: 0.2 },
    seed: 5,
    tokenizerFiles: minilmTokenizerFiles(['tokenizer.json', 'tokenizer_config.json']),
  });
  weights = crossEncoderWeights(folder.files);

  const store = await openStore();
  const dataset = await store.createDataset(`rerank worker test ${crypto.randomUUID()}`);
  datasetId = dataset.id;
  const docs = PASSAGES.map((text, i) => ({
    id: `d${i}`,
    source: 'notes.txt',
    text,
    metadata: {},
  }));
  await store.addDocuments(datasetId, 'file-hash', docs);
  await store.putChunkBatch(
    datasetId,
    docs.map((doc) => ({
      docId: doc.id,
      chunks: [
        { index: 0, text: doc.text, charStart: 0, charEnd: doc.text.length, tokenCount: 12 },
      ],
    })),
  );
  store.close();
}, 60_000);

afterAll(async () => {
  indexClient.terminate();
  await deleteStoredDatasets(datasetId);
});

/** HF's BertForSequenceClassification logit in float64: `[CLS] q [SEP] p [SEP]`, types 0 then 1. */
function referenceLogit(query: string, passage: string): number {
  return referenceCrossEncoderLogit(folder.config, weights, tokenizer, query, passage);
}

const OPTIONS: AskOptions = {
  datasetName: 'notes',
  mode: 'bm25',
  k: 3,
  neighbours: 0,
  // Never abstain: the test is about the order of what was retrieved.
  thresholds: { lexical: 0, semantic: -1 },
};

function ask(options: AskOptions): Promise<RagAnswer> {
  return indexClient.call((api) => api.ask(datasetId, undefined, QUERY, options));
}

function load(
  files: ReadonlyMap<string, Uint8Array>,
  onProgress?: (p: Progress) => void,
  device: 'wasm' | 'webgpu' = 'wasm',
) {
  return indexClient.call((api) =>
    api.loadReranker(
      { kind: 'files', files, name: NAME },
      { device },
      undefined,
      onProgress ? Comlink.proxy(onProgress) : undefined,
    ),
  );
}

describe('index worker: Ask re-ranked by a cross-encoder', () => {
  it('says which file a broken folder lacks', async () => {
    const broken = new Map(folder.files);
    broken.delete('onnx/model.onnx');
    await expect(load(broken)).rejects.toThrow(
      /cross-encoder folder "seeded-cross-encoder" has no onnx\/model\.onnx/,
    );
    await expect(ask({ ...OPTIONS, rerankWith: NAME })).rejects.toThrow(/not loaded/);
  });

  it('loads once with progress, then re-ranks the BM25 candidates by the reference logits', async () => {
    const events: Progress[] = [];
    const info = await load(folder.files, (event) => events.push(event));
    expect(info).toMatchObject({ name: NAME, device: 'wasm', seeded: true, numLabels: 1 });
    expect(events.length).toBeGreaterThan(0);
    expect(events.at(-1)?.fraction).toBe(1);
    await expect(indexClient.call((api) => api.rerankerInfo())).resolves.toMatchObject({
      name: NAME,
    });

    // Every BM25 candidate with its BM25 score: the first stage the reranker re-orders.
    const all = await ask({ ...OPTIONS, k: 20 });
    const bm25 = new Map(all.passages.map((p) => [p.id, p.score]));
    expect(bm25.size).toBeGreaterThan(3);
    expect(all.passages.every((p) => p.retrievalScore === undefined)).toBe(true);

    const expected = [...bm25.keys()]
      .map((id) => ({ id, logit: referenceLogit(QUERY, PASSAGES[Number(id.slice(1, -2))] ?? '') }))
      .sort((a, b) => b.logit - a.logit);
    const gaps = expected.slice(1).map((e, i) => (expected[i]?.logit ?? 0) - e.logit);
    expect(Math.min(...gaps)).toBeGreaterThan(1e-4);

    const reranked = await ask({ ...OPTIONS, rerankWith: NAME });
    expect(reranked.passages.map((p) => p.id)).toEqual(expected.slice(0, 3).map((e) => e.id));
    reranked.passages.forEach((passage, i) => {
      expect(passage.rank).toBe(i + 1);
      expect(passage.score).toBeCloseTo(expected[i]?.logit ?? Number.NaN, 4);
      expect(passage.retrievalScore).toBeCloseTo(bm25.get(passage.id) ?? Number.NaN, 6);
    });
    // The plain BM25 top 3 differs, so the re-ranking changed what the answer draws on.
    const plain = await ask(OPTIONS);
    expect(plain.passages.map((p) => p.id)).not.toEqual(reranked.passages.map((p) => p.id));
    // The answer's sources follow the re-ranked order.
    expect(reranked.sources[0]?.chunkIds).toContain(reranked.passages[0]?.id);
  });

  it('scores pairs for the generate worker with the same loaded model', async () => {
    const scores = await indexClient.call((api) => api.rerank(NAME, QUERY, PASSAGES.slice(0, 3)));
    scores.forEach((score, i) =>
      expect(score).toBeCloseTo(referenceLogit(QUERY, PASSAGES[i] ?? ''), 4),
    );
    await expect(indexClient.call((api) => api.rerank('other', QUERY, ['x']))).rejects.toThrow(
      /not other/,
    );
  });

  it('unloads the cross-encoder: rerank and ask refuse with it, and it loads again', async () => {
    await indexClient.call((api) => api.unloadReranker());
    await expect(indexClient.call((api) => api.rerankerInfo())).resolves.toBeNull();
    await expect(
      indexClient.call((api) => api.rerank(NAME, QUERY, PASSAGES.slice(0, 1))),
    ).rejects.toThrow(
      /cross-encoder seeded-cross-encoder was unloaded .*re-ranking was turned off.*load it again/,
    );
    await expect(ask({ ...OPTIONS, rerankWith: NAME })).rejects.toThrow(/was unloaded/);

    const info = await load(folder.files);
    expect(info).toMatchObject({ name: NAME, device: 'wasm' });
    const scores = await indexClient.call((api) => api.rerank(NAME, QUERY, PASSAGES.slice(0, 2)));
    expect(scores).toHaveLength(2);
    scores.forEach((score, i) =>
      expect(score).toBeCloseTo(referenceLogit(QUERY, PASSAGES[i] ?? ''), 4),
    );
  });

  it('runs on exactly WebGPU when asked, with the same scores', async () => {
    expect(await navigator.gpu.requestAdapter(), 'Chromium must run with WebGPU').not.toBeNull();
    const info = await load(folder.files, undefined, 'webgpu');
    expect(info.device).toBe('webgpu');
    const reranked = await ask({ ...OPTIONS, rerankWith: NAME });
    for (const passage of reranked.passages) {
      const text = PASSAGES[Number(passage.docId.slice(1))] ?? '';
      expect(passage.score).toBeCloseTo(referenceLogit(QUERY, text), 3);
    }
  });

  it('refuses to answer without the chosen cross-encoder after the worker restarts', async () => {
    indexClient.terminate();
    await expect(ask({ ...OPTIONS, rerankWith: NAME })).rejects.toThrow(
      /seeded-cross-encoder is not loaded/,
    );
  });
});
