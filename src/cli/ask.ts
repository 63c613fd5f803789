import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readBundle, type Bundle } from '../core/bundle/index.ts';
import type { EmbeddingModel } from '../core/embed/runtime/index.ts';
import {
  askExtractive,
  BundleRagSource,
  type EmbedSentences,
  type RagAnswer,
  type RagMode,
} from '../core/rag/index.ts';
import { loadTokenizer, whitespaceCounter, type TokenCounter } from '../core/tokenizer/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';
import { loadLocalModel } from './eval-model.ts';
import { fetchHubModel } from './hub-download.ts';
import { defaultCacheDir, defaultHubUrl, DEFAULT_REVISION, isHubId } from './hub-model-ref.ts';
import { hubProgressPrinter } from './hub-progress.ts';

export interface AskOptions {
  data: string;
  question: string;
  retriever: RagMode;
  topK: number;
  /** A local model folder or hub id; undefined: the bundle's model id (dense and hybrid only). */
  model: string | undefined;
  /** Chunks before and after each retrieved one to add (same document). */
  neighbours: number;
  /** MMR lambda; undefined: no MMR. */
  mmr: number | undefined;
  budgetTokens: number;
}

/** The JSON line `lumina ask` ends with. */
export interface AskReport {
  question: string;
  retriever: RagMode;
  answer: string;
  abstained: boolean;
  citations: RagAnswer['citations'];
  passages: {
    chunkId: string;
    docId: string;
    score: number;
    rank: number;
    neighbourOf: string | null;
  }[];
  timings: RagAnswer['timings'];
  model?: string;
}

const RETRIEVERS: readonly RagMode[] = ['bm25', 'dense', 'hybrid'];

export function parseAskArgs(args: string[]): AskOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        question: { type: 'string' },
        retriever: { type: 'string', default: 'bm25' },
        'top-k': { type: 'string', default: '5' },
        model: { type: 'string' },
        generator: { type: 'string' },
        extractive: { type: 'boolean', default: false },
        neighbours: { type: 'string', default: '0' },
        mmr: { type: 'string' },
        'budget-tokens': { type: 'string', default: '1024' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const { values } = parsed;
  if (values.generator !== undefined) {
    throw new UsageError(
      `--generator ${values.generator}: generation is not available yet; use --extractive`,
    );
  }
  if (!values.data) throw new UsageError('--data <bundle.lumina> is required');
  if (!values.question?.trim()) throw new UsageError('--question is required');
  const retriever = values.retriever as RagMode;
  if (!RETRIEVERS.includes(retriever)) {
    throw new UsageError(
      `--retriever must be one of ${RETRIEVERS.join(', ')}, got "${values.retriever}"`,
    );
  }
  if (values.model !== undefined && retriever === 'bm25') {
    throw new UsageError(
      '--model embeds the question for dense or hybrid retrieval; bm25 needs none',
    );
  }
  const mmr = values.mmr === undefined ? undefined : Number(values.mmr);
  if (mmr !== undefined && !(mmr >= 0 && mmr <= 1)) {
    throw new UsageError(`--mmr must be a lambda between 0 and 1, got "${values.mmr}"`);
  }
  return {
    data: values.data,
    question: values.question,
    retriever,
    topK: integer('--top-k', values['top-k'], 1),
    model: values.model,
    neighbours: integer('--neighbours', values.neighbours, 0),
    mmr,
    budgetTokens: integer('--budget-tokens', values['budget-tokens'], 1),
  };
}

function integer(option: string, value: string, min: 0 | 1): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    throw new UsageError(
      `${option} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer, got "${value}"`,
    );
  }
  return parsed;
}

/** `lumina ask`: answers a question from a bundle, extractively, with citations. */
export async function askCommand(args: string[], io: CliIo): Promise<void> {
  const options = parseAskArgs(args);
  const controller = new AbortController();
  const interrupt = (): void => controller.abort();
  process.once('SIGINT', interrupt);
  try {
    const report = await ask(options, io, controller.signal);
    io.stdout(report.answer);
    io.stdout(JSON.stringify(report));
  } finally {
    process.off('SIGINT', interrupt);
  }
}

export async function ask(
  options: AskOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<AskReport> {
  const info = await stat(options.data).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`--data ${options.data}: not a file`);
  const bundle = await readBundle(await readFile(options.data), signal ? { signal } : {});
  const source = BundleRagSource.fromBundle(bundle, {
    name: path.basename(options.data, path.extname(options.data)),
  });
  const embedder =
    options.retriever === 'bm25' ? null : await openModel(options, bundle, io, signal);
  try {
    let queryVector: Float32Array | undefined;
    let embedSentences: EmbedSentences | undefined;
    if (embedder) {
      const { model } = embedder;
      queryVector = await model.embed([options.question], 'query', signal);
      embedSentences = async (texts, s) => {
        const flat = await model.embed(texts, 'document', s);
        const dims = model.info.dims;
        return texts.map((_, i) => flat.subarray(i * dims, (i + 1) * dims));
      };
    }
    const answer = await askExtractive(source, options.question, {
      mode: options.retriever,
      k: options.topK,
      counter: embedder?.counter ?? whitespaceCounter,
      budgetTokens: options.budgetTokens,
      ...(options.neighbours > 0 ? { neighbours: options.neighbours } : {}),
      ...(options.mmr !== undefined ? { mmr: { lambda: options.mmr } } : {}),
      ...(queryVector ? { queryVector } : {}),
      ...(embedSentences ? { embedSentences } : {}),
      ...(signal ? { signal } : {}),
    });
    return {
      question: answer.question,
      retriever: answer.mode,
      answer: answer.text,
      abstained: answer.abstained,
      citations: answer.citations,
      passages: answer.passages.map((p) => ({
        chunkId: p.id,
        docId: p.docId,
        score: p.score,
        rank: p.rank,
        neighbourOf: p.neighbourOf,
      })),
      timings: answer.timings,
      ...(embedder ? { model: embedder.id } : {}),
    };
  } finally {
    await embedder?.model.dispose();
  }
}

interface QueryEmbedder {
  id: string;
  model: EmbeddingModel;
  /** The model's own tokenizer, so the context budget is in the tokens a generator would see. */
  counter: TokenCounter;
}

/** The query model: --model, else the one the bundle names; its vectors must match the bundle's. */
async function openModel(
  options: AskOptions,
  bundle: Bundle,
  io: CliIo,
  signal: AbortSignal | undefined,
): Promise<QueryEmbedder> {
  const spec = options.model ?? bundle.manifest.model.id;
  let dir: string;
  if ((await stat(spec).catch(() => undefined))?.isDirectory()) {
    dir = spec;
  } else if (isHubId(spec)) {
    const ref = {
      id: spec,
      revision: options.model
        ? DEFAULT_REVISION
        : (bundle.manifest.model.revision ?? DEFAULT_REVISION),
    };
    const token = process.env.HF_TOKEN;
    const folder = await fetchHubModel(ref, {
      hubUrl: defaultHubUrl().replace(/\/+$/, ''),
      cacheDir: defaultCacheDir(),
      ...(token ? { token } : {}),
      ...(signal ? { signal } : {}),
      onProgress: hubProgressPrinter(io, ref.id),
    });
    dir = folder.dir;
  } else {
    throw new UsageError(
      `${options.model ? '--model' : "the bundle's model"} ${spec}: neither a local model folder nor a Hugging Face Hub id; pass --model`,
    );
  }
  const model = await loadLocalModel(dir, signal);
  if (model.info.dims !== bundle.manifest.model.dims) {
    await model.dispose();
    throw new Error(
      `model ${spec} makes ${model.info.dims}-dimensional vectors but the bundle holds ${bundle.manifest.model.dims}; ask with the model that embedded it`,
    );
  }
  const tokenizerJson: unknown = JSON.parse(
    await readFile(path.join(dir, 'tokenizer.json'), 'utf8'),
  );
  const configPath = path.join(dir, 'tokenizer_config.json');
  const config: unknown = (await stat(configPath).catch(() => undefined))
    ? JSON.parse(await readFile(configPath, 'utf8'))
    : {};
  return { id: spec, model, counter: loadTokenizer(tokenizerJson, config, path.basename(dir)) };
}
