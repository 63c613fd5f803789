import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import {
  beirDocumentText,
  evaluateRun,
  loadBeir,
  type BeirDataset,
} from '../../../src/core/eval/index.ts';
import {
  Bm25FieldsIndex,
  Bm25Index,
  type Bm25FieldsParams,
  type Bm25Hit,
} from '../../../src/core/lexical/index.ts';
import { parseEvalBeirArgs } from '../../../src/cli/eval-args.ts';
import { sharedDir } from '../../support/shared-data.ts';

const scifact = join(sharedDir, 'datasets/scifact');

let loaded: Promise<BeirDataset> | undefined;
function dataset(): Promise<BeirDataset> {
  loaded ??= loadBeir((relative) =>
    createInterface({
      input: createReadStream(join(scifact, relative), 'utf8'),
      crlfDelay: Infinity,
    }),
  );
  return loaded;
}

async function evaluate(search: (query: string) => Bm25Hit[]) {
  const data = await dataset();
  const run = new Map([...data.queries].map(([id, text]) => [id, search(text)]));
  return evaluateRun(data.qrels, run);
}

async function flatMetrics(k1: number, b: number) {
  const data = await dataset();
  const index = await Bm25Index.build(
    data.corpus.map((doc) => ({ id: doc.id, text: beirDocumentText(doc) })),
    { k1, b },
  );
  return evaluate((query) => index.search(query, 1000));
}

async function multiFieldMetrics(params: Partial<Bm25FieldsParams> = {}) {
  const data = await dataset();
  const index = await Bm25FieldsIndex.build(
    data.corpus.map((doc) => ({ id: doc.id, fields: { title: doc.title, text: doc.text } })),
    { fields: ['title', 'text'], ...params },
  );
  return evaluate((query) => index.search(query, 1000));
}

describe('BM25 on SciFact (test split)', () => {
  it('loads the whole dataset', async () => {
    const data = await dataset();
    expect(data.corpus).toHaveLength(5183);
    expect(data.queries.size).toBe(300);
  });

  it('multi-field with Elasticsearch’s settings scores as BEIR’s own ES code does (best_fields, tie 0.5)', async () => {
    const metrics = await multiFieldMetrics();
    expect(metrics.queries).toBe(300);
    // BEIR's evaluate_bm25.py on Elasticsearch 7.17.10 (Lucene 8.11.1) prints nDCG@10 0.69064
    // on SciFact (beir-cellar/beir issue #143); the paper's 0.665 is not what that code gives now.
    expect(Math.abs(metrics['ndcg@10'] - 0.69064)).toBeLessThan(0.002);
  }, 30_000);

  it('eval beir’s defaults (Pyserini’s multifield: k1 0.9, b 0.4, fields summed) give the published 0.665', async () => {
    const { k1, b, tieBreaker, bm25Fields } = parseEvalBeirArgs(['--data', scifact]);
    expect({ k1, b, tieBreaker, bm25Fields }).toEqual({
      k1: 0.9,
      b: 0.4,
      tieBreaker: 1,
      bm25Fields: 'multi',
    });
    const metrics = await multiFieldMetrics({ k1, b, tieBreaker });
    // Thakur et al. (2021) Table 2 and Pyserini's BEIR multifield index: nDCG@10 0.665.
    expect(metrics['ndcg@10']).toBeGreaterThan(0.65);
    expect(metrics['ndcg@10']).toBeLessThan(0.68);
    expect(Math.abs(metrics['ndcg@10'] - 0.665)).toBeLessThan(0.005);
  }, 30_000);

  it('flat, Pyserini’s parameters (k1 0.9, b 0.4): Pyserini’s flat baseline', async () => {
    const metrics = await flatMetrics(0.9, 0.4);
    // Pyserini BEIR flat (title + text, Lucene EnglishAnalyzer): nDCG@10 0.679, R@100 0.925.
    expect(Math.abs(metrics['ndcg@10'] - 0.679)).toBeLessThan(0.005);
    expect(Math.abs(metrics['recall@100'] - 0.925)).toBeLessThan(0.01);
  }, 30_000);

  it('flat, Elasticsearch defaults (k1 1.2, b 0.75): within ±0.015 of Pyserini’s flat 0.679', async () => {
    const metrics = await flatMetrics(1.2, 0.75);
    expect(Math.abs(metrics['ndcg@10'] - 0.679)).toBeLessThan(0.015);
  }, 30_000);
});
