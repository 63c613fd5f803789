import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  beirDocumentText,
  evaluateRun,
  formatTrecRun,
  loadBeir,
  type BeirDataset,
  type RetrievalMetrics,
  type ScoredDocument,
} from '../core/eval/index.ts';
import { throwIfAborted } from '../core/abort.ts';
import {
  Bm25FieldsIndex,
  Bm25Index,
  convexFusion,
  reciprocalRankFusion,
  type Bm25BuildOptions,
} from '../core/lexical/index.ts';
import { searchBlocksBatch } from '../core/search/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';
import { parseEvalBeirArgs, type EvalBeirOptions } from './eval-args.ts';
import { embedAll, loadLocalModel } from './eval-model.ts';
import { phaseProgress } from './eval-progress.ts';

/** The one JSON line `lumina eval beir` prints. */
export interface EvalBeirReport extends RetrievalMetrics {
  retriever: string;
  dataset: string;
  split: string;
  documents: number;
  /** Documents retrieved per query (the depth of the evaluated run). */
  depth: number;
  seconds: number;
  /** Which BM25: `multifield` (title and text fields, best_fields) or `flat`. */
  bm25?: string;
  k1?: number;
  b?: number;
  tieBreaker?: number;
  fusion?: string;
  model?: string;
  runOut?: string;
}

type QueryRun = Map<string, ScoredDocument[]>;

/** `lumina eval beir`: retrieves for every judged query and prints the IR metrics. */
export async function evalBeirCommand(args: string[], io: CliIo): Promise<void> {
  const options = parseEvalBeirArgs(args);
  const controller = new AbortController();
  const interrupt = (): void => controller.abort();
  process.once('SIGINT', interrupt);
  try {
    io.stdout(JSON.stringify(await evalBeir(options, io, controller.signal)));
  } finally {
    process.off('SIGINT', interrupt);
  }
}

export async function evalBeir(
  options: EvalBeirOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<EvalBeirReport> {
  const started = performance.now();
  const info = await stat(options.data).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--data ${options.data}: not a folder`);
  const dataset = await loadBeir((relative) => readLines(path.join(options.data, relative)), {
    split: options.split,
    ...(signal ? { signal } : {}),
  });
  io.stderr(
    `eval: ${dataset.corpus.length} documents, ${dataset.queries.size} judged queries (${options.split})`,
  );
  const { retriever } = options;
  const lexical =
    retriever.kind === 'dense' ? undefined : await bm25Run(dataset, options, io, signal);
  const dense =
    retriever.kind === 'bm25'
      ? undefined
      : await denseRun(dataset, retriever.model, options, io, signal);
  let run: QueryRun;
  if (lexical && dense) run = fuse(lexical, dense, options);
  else run = (lexical ?? dense) as QueryRun;

  const metrics = evaluateRun(dataset.qrels, run);
  if (options.runOut) {
    const runName = `lumina-${retriever.kind}`;
    await writeFile(options.runOut, formatTrecRun(run, { runName, depth: options.depth }));
  }
  return {
    retriever: retriever.kind === 'bm25' ? 'bm25' : `${retriever.kind}:${retriever.model}`,
    dataset: path.basename(path.resolve(options.data)),
    split: options.split,
    ...roundMetrics(metrics),
    documents: dataset.corpus.length,
    depth: options.depth,
    seconds: round((performance.now() - started) / 1000, 3),
    ...(retriever.kind === 'dense' ? {} : bm25Report(options)),
    ...(retriever.kind === 'hybrid'
      ? {
          fusion:
            options.fusion === 'rrf'
              ? `rrf(k=${options.rrfK})`
              : `weighted(alpha=${options.alpha} dense)`,
        }
      : {}),
    ...(options.runOut ? { runOut: options.runOut } : {}),
  };
}

function bm25Report(options: EvalBeirOptions): Partial<EvalBeirReport> {
  return options.bm25Fields === 'multi'
    ? { bm25: 'multifield', k1: options.k1, b: options.b, tieBreaker: options.tieBreaker }
    : { bm25: 'flat', k1: options.k1, b: options.b };
}

/** BEIR's Elasticsearch index holds these two fields; `multi_match` searches both. */
const BEIR_FIELDS = ['title', 'text'] as const;

async function bm25Run(
  dataset: BeirDataset,
  options: EvalBeirOptions,
  io: CliIo,
  signal: AbortSignal | undefined,
): Promise<QueryRun> {
  const report = phaseProgress(io, 'bm25 index', 'documents');
  const build: Bm25BuildOptions = {
    k1: options.k1,
    b: options.b,
    ...(signal ? { signal } : {}),
    onProgress: (event) => {
      if (event.status === 'progress') report(event.done, event.total);
    },
  };
  const index =
    options.bm25Fields === 'multi'
      ? await Bm25FieldsIndex.build(
          dataset.corpus.map((doc) => ({
            id: doc.id,
            fields: { title: doc.title, text: doc.text },
          })),
          { ...build, fields: BEIR_FIELDS, tieBreaker: options.tieBreaker },
        )
      : await Bm25Index.build(
          dataset.corpus.map((doc) => ({ id: doc.id, text: beirDocumentText(doc) })),
          build,
        );
  const run: QueryRun = new Map();
  for (const [queryId, text] of dataset.queries) {
    throwIfAborted(signal);
    run.set(queryId, index.search(text, options.depth));
  }
  return run;
}

async function denseRun(
  dataset: BeirDataset,
  modelDir: string,
  options: EvalBeirOptions,
  io: CliIo,
  signal: AbortSignal | undefined,
): Promise<QueryRun> {
  const model = await loadLocalModel(modelDir, signal);
  try {
    const { dims } = model.info;
    const documents = await embedAll(
      model,
      dataset.corpus.map(beirDocumentText),
      'document',
      options.batchTokens,
      phaseProgress(io, 'embed documents', 'documents'),
      signal,
    );
    const queryIds = [...dataset.queries.keys()];
    const queryVectors = await embedAll(
      model,
      [...dataset.queries.values()],
      'query',
      options.batchTokens,
      phaseProgress(io, 'embed queries', 'queries'),
      signal,
    );
    const block = {
      dims,
      count: dataset.corpus.length,
      vectors: documents,
      chunkIds: dataset.corpus.map((doc) => doc.id),
    };
    const queries = queryIds.map((_, q) => queryVectors.subarray(q * dims, (q + 1) * dims));
    const hits = await searchBlocksBatch([block], queries, options.depth, {
      metric: 'cosine',
      ...(signal ? { signal } : {}),
    });
    return new Map(
      queryIds.map((id, q) => [
        id,
        (hits[q] ?? []).map((hit) => ({ id: hit.chunkId, score: hit.score })),
      ]),
    );
  } finally {
    await model.dispose();
  }
}

function fuse(lexical: QueryRun, dense: QueryRun, options: EvalBeirOptions): QueryRun {
  const fused: QueryRun = new Map();
  for (const [queryId, bm25] of lexical) {
    const vectors = dense.get(queryId) ?? [];
    fused.set(
      queryId,
      options.fusion === 'rrf'
        ? reciprocalRankFusion([bm25, vectors], { k: options.rrfK, limit: options.depth })
        : convexFusion(vectors, bm25, options.alpha, options.depth),
    );
  }
  return fused;
}

function readLines(file: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
}

function roundMetrics(metrics: RetrievalMetrics): RetrievalMetrics {
  return {
    'ndcg@10': round(metrics['ndcg@10'], 5),
    'mrr@10': round(metrics['mrr@10'], 5),
    'recall@100': round(metrics['recall@100'], 5),
    'map@100': round(metrics['map@100'], 5),
    'map@1000': round(metrics['map@1000'], 5),
    queries: metrics.queries,
  };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
