import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, type BertWeights } from '../../../src/core/model/index.ts';
import {
  buildSeededCrossEncoderFolder,
  type CrossEncoderFolder,
} from '../../../src/core/model/seeded-cross-encoder-folder.ts';
import { CrossEncoderReranker } from '../../../src/core/rag/cross-encoder.ts';
import {
  applyReranker,
  BundleRagSource,
  retrieve,
  topicalQuery,
} from '../../../src/core/rag/index.ts';
import {
  crossEncoderWeights,
  referenceCrossEncoderLogit,
} from '../../support/reference-cross-encoder.ts';
import { minilmDir, minilmTokenizer, tinyBertConfig } from '../../support/shared-data.ts';
import { chunkAt } from './helpers.ts';

/** Shares terms with most passages, so BM25 hands the reranker several candidates. */
const QUERY = 'Do bees use the sun, the Moon or the Earth to find flowers and lava?';
const PASSAGES = [
  'Honey bees communicate the location of flowers with a waggle dance.',
  'Volcanoes form where magma reaches the surface of the Earth.',
  'The angle of the dance shows the direction of the food relative to the sun.',
  'Ocean tides are caused mainly by the gravity of the Moon.',
  'Bees.',
  'Basalt lava flows are runny because they hold little silica, so they travel far from the vent.',
];

let folder: CrossEncoderFolder;
let reranker: CrossEncoderReranker;

beforeAll(async () => {
  folder = await buildSeededCrossEncoderFolder({
    // A wider init than HF's 0.02 spreads the seeded logits far beyond the float32 error.
    configJson: { ...tinyBertConfig(), initializer_range: 0.2 },
    seed: 5,
    tokenizerFiles: new Map(
      ['tokenizer.json', 'tokenizer_config.json'].map((name) => [
        name,
        new Uint8Array(readFileSync(join(minilmDir, name))),
      ]),
    ),
  });
  reranker = await CrossEncoderReranker.load({
    kind: 'files',
    files: folder.files,
    name: 'seeded-cross-encoder',
  });
}, 30_000);

afterAll(async () => {
  await reranker.dispose();
});

function referenceLogit(weights: BertWeights, query: string, passage: string): number {
  return referenceCrossEncoderLogit(folder.config, weights, minilmTokenizer(), query, passage);
}

function safetensorsWeights(): BertWeights {
  return crossEncoderWeights(folder.files);
}

describe('cross-encoder reranker (seeded BertForSequenceClassification)', () => {
  it('writes an HF sequence-classification folder', () => {
    const config = JSON.parse(new TextDecoder().decode(folder.files.get('config.json'))) as Record<
      string,
      unknown
    >;
    expect(config['architectures']).toEqual(['BertForSequenceClassification']);
    expect(config['id2label']).toEqual({ 0: 'LABEL_0' });
    expect(config['lumina_seeded']).toBe(true);
    const names = [
      ...decodeSafetensors(folder.files.get('model.safetensors') as Uint8Array).tensors.keys(),
    ];
    expect(names).toContain('bert.embeddings.word_embeddings.weight');
    expect(names).toContain('bert.pooler.dense.weight');
    expect(names).toContain('classifier.weight');
    expect(names).toContain('classifier.bias');
    expect(reranker.info).toMatchObject({ numLabels: 1, seeded: true, maxTokens: 512 });
  });

  it('scores each pair with the logit of an independent float64 forward pass', async () => {
    const scores = await reranker.rerank(QUERY, PASSAGES);
    const weights = safetensorsWeights();
    const expected = PASSAGES.map((p) => referenceLogit(weights, QUERY, p));
    expect(scores).toHaveLength(PASSAGES.length);
    for (let i = 0; i < PASSAGES.length; i++)
      expect(scores[i]).toBeCloseTo(expected[i] as number, 5);
    // The passages' logits differ by far more than the float32 error, so the order is meaningful.
    const sorted = [...expected].sort((a, b) => a - b);
    const gap = Math.min(...sorted.slice(1).map((v, i) => v - (sorted[i] as number)));
    expect(gap).toBeGreaterThan(1e-4);
  });

  it('batches without changing scores (padding is masked)', async () => {
    const one = await Promise.all(PASSAGES.map((p) => reranker.rerank(QUERY, [p])));
    const all = await reranker.rerank(QUERY, PASSAGES);
    one.forEach((score, i) => expect(score[0]).toBeCloseTo(all[i] as number, 5));
  });

  it('re-orders retrieval candidates by the reference logits', async () => {
    const weights = safetensorsWeights();
    const expectedOrder = PASSAGES.map((p, i) => ({ i, logit: referenceLogit(weights, QUERY, p) }))
      .sort((a, b) => b.logit - a.logit)
      .map(({ i }) => `d${i}#0`);
    const items = PASSAGES.map((text, i) => ({ id: `d${i}#0`, text, score: PASSAGES.length - i }));
    const reordered = await applyReranker(reranker, QUERY, items);
    expect(reordered.map((item) => item.id)).toEqual(expectedOrder);

    const source = new BundleRagSource(
      {
        chunks: PASSAGES.map((text, i) => chunkAt(`d${i}`, 0, text, 0, text.length)),
        embeddings: null,
        dims: null,
      },
      { name: 'passages' },
    );
    const result = await retrieve(source, QUERY, { mode: 'bm25', k: 3, reranker });
    // The BM25 candidates (passages sharing a term with the question), re-ordered by the logits.
    const candidates = new Set(
      (await source.lexical(topicalQuery(QUERY), 20)).map((hit) => hit.id),
    );
    expect(candidates.size).toBeGreaterThan(3);
    expect(result.passages.map((p) => p.id)).toEqual(
      expectedOrder.filter((id) => candidates.has(id)).slice(0, 3),
    );
    expect(result.passages[0]?.score).toBeCloseTo(
      referenceLogit(weights, QUERY, PASSAGES[Number(result.passages[0]?.docId.slice(1))] ?? ''),
      5,
    );
  });

  it('stops on an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(reranker.rerank(QUERY, PASSAGES, controller.signal)).rejects.toThrow();
  });
});
