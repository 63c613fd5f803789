import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readBundle, type Bundle } from '../core/bundle/index.ts';
import type { EmbeddingModel } from '../core/embed/runtime/index.ts';
import type { TransformersTextGenerator } from '../core/model/decoder/transformers-generator.ts';
import type { CrossEncoderReranker } from '../core/rag/cross-encoder.ts';
import {
  askExtractive,
  askGenerative,
  BundleRagSource,
  DEFAULT_MAX_NEW_TOKENS,
  type EmbedSentences,
  type GenerativeAnswer,
  type RagAnswer,
  type RagMode,
} from '../core/rag/index.ts';
import { loadTokenizer, whitespaceCounter, type TokenCounter } from '../core/tokenizer/index.ts';
import { openGenerator, openReranker } from './ask-models.ts';
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
  /** A text-generation model folder or hub id; undefined: extractive. */
  generator: string | undefined;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  maxTokens: number;
  /** A cross-encoder folder or hub id that re-orders the candidates; undefined: none. */
  reranker: string | undefined;
}

/** Where `ask` streams generated text as it comes (the CLI: stderr, unbuffered). */
export interface AskIo extends CliIo {
  stream?: (piece: string) => void;
}

export interface AskTimings {
  retrieveMs: number;
  assembleMs: number;
  answerMs: number;
  /** Generator only: from the generate call to the first new token. */
  firstTokenMs?: number | null;
  /** Generator only: new tokens after the first, per second of decoding. */
  tokensPerSecond?: number | null;
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
  timings: AskTimings;
  model?: string;
  /** The generator's folder or hub id; absent for an extractive answer. */
  generator?: string;
  reranker?: string;
  /** Generator only: stopped (Ctrl-C) before the end; `answer` is the text until then. */
  interrupted?: boolean;
  /** Generator only: new tokens, and whether the weights are Lumina's seeded (meaningless) ones. */
  tokens?: number;
  seeded?: boolean;
  /** Generator only: the text cites no source (not grounded), and cited numbers with no source. */
  uncited?: boolean;
  invalidCitations?: number[];
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
        temperature: { type: 'string' },
        'top-p': { type: 'string' },
        'max-tokens': { type: 'string' },
        reranker: { type: 'string' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const { values } = parsed;
  if (values.generator !== undefined && values.extractive) {
    throw new UsageError('--generator and --extractive exclude each other');
  }
  if (values.generator === undefined) {
    for (const option of ['temperature', 'top-p', 'max-tokens'] as const) {
      if (values[option] !== undefined) throw new UsageError(`--${option} needs --generator`);
    }
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
    generator: values.generator,
    temperature: fraction('--temperature', values.temperature ?? '0', 0, 10),
    topP: fraction('--top-p', values['top-p'] ?? '1', 0, 1),
    maxTokens: integer('--max-tokens', values['max-tokens'] ?? String(DEFAULT_MAX_NEW_TOKENS), 1),
    reranker: values.reranker,
  };
}

function fraction(option: string, value: string, min: number, max: number): number {
  const parsed = /^\d+(\.\d+)?$|^\.\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= min && parsed <= max) || (option === '--top-p' && parsed === 0)) {
    throw new UsageError(
      `${option} must be a number ${option === '--top-p' ? 'in (0, 1]' : `from ${min} to ${max}`}, got "${value}"`,
    );
  }
  return parsed;
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

/**
 * `lumina ask`: answers a question from a bundle, extractively or with a generator (streamed to
 * stderr), with citations. Ctrl-C stops generation; the text so far is printed, marked.
 */
export async function askCommand(args: string[], io: AskIo): Promise<void> {
  const options = parseAskArgs(args);
  const controller = new AbortController();
  const interrupt = (): void => controller.abort();
  process.once('SIGINT', interrupt);
  try {
    const report = await ask(
      options,
      { stream: (piece) => process.stderr.write(piece), ...io },
      controller.signal,
    );
    io.stdout(report.interrupted ? `${report.answer} [interrupted]` : report.answer);
    io.stdout(JSON.stringify(report));
  } finally {
    process.off('SIGINT', interrupt);
  }
}

export async function ask(
  options: AskOptions,
  io: AskIo,
  signal?: AbortSignal,
): Promise<AskReport> {
  const info = await stat(options.data).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`--data ${options.data}: not a file`);
  const bundle = await readBundle(await readFile(options.data), signal ? { signal } : {});
  const source = BundleRagSource.fromBundle(bundle, {
    name: path.basename(options.data, path.extname(options.data)),
  });
  let embedder: QueryEmbedder | null = null;
  let generator: TransformersTextGenerator | null = null;
  let reranker: CrossEncoderReranker | null = null;
  try {
    embedder = options.retriever === 'bm25' ? null : await openModel(options, bundle, io, signal);
    generator = options.generator ? await openGenerator(options.generator, io, signal) : null;
    reranker = options.reranker ? await openReranker(options.reranker, io, signal) : null;
    if (generator?.info.seeded) {
      io.stderr(`${generator.info.name}: seeded random weights, the generated text is meaningless`);
    }
    if (reranker?.info.seeded) {
      io.stderr(`${reranker.info.name}: seeded random weights, the re-ranking is meaningless`);
    }
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
    const retrieval = {
      mode: options.retriever,
      k: options.topK,
      ...(options.neighbours > 0 ? { neighbours: options.neighbours } : {}),
      ...(options.mmr !== undefined ? { mmr: { lambda: options.mmr } } : {}),
      ...(queryVector ? { queryVector } : {}),
      ...(reranker ? { reranker } : {}),
      ...(signal ? { signal } : {}),
    };
    let answer: RagAnswer | GenerativeAnswer;
    if (generator) {
      const stream = io.stream;
      answer = await askGenerative(source, options.question, generator, {
        ...retrieval,
        budgetTokens: options.budgetTokens,
        maxNewTokens: options.maxTokens,
        temperature: options.temperature,
        topP: options.topP,
        ...(stream ? { onToken: stream } : {}),
      });
      // The streamed text ends without a newline; the answer lines follow on their own.
      if (!answer.abstained) stream?.('\n');
    } else {
      answer = await askExtractive(source, options.question, {
        ...retrieval,
        counter: embedder?.counter ?? whitespaceCounter,
        budgetTokens: options.budgetTokens,
        ...(embedSentences ? { embedSentences } : {}),
      });
    }
    return reportOf(answer, options, embedder, generator);
  } finally {
    await embedder?.model.dispose();
    await generator?.dispose();
    await reranker?.dispose();
  }
}

function reportOf(
  answer: RagAnswer | GenerativeAnswer,
  options: AskOptions,
  embedder: QueryEmbedder | null,
  generator: TransformersTextGenerator | null,
): AskReport {
  const generated = 'generated' in answer ? answer : null;
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
    timings: generated
      ? {
          ...answer.timings,
          firstTokenMs: generated.firstTokenMs,
          tokensPerSecond: generated.tokensPerSecond,
        }
      : answer.timings,
    ...(embedder ? { model: embedder.id } : {}),
    ...(options.reranker ? { reranker: options.reranker } : {}),
    ...(generated && options.generator
      ? {
          generator: options.generator,
          interrupted: generated.interrupted,
          tokens: generated.tokens,
          seeded: generator?.info.seeded ?? false,
          uncited: generated.uncited,
          invalidCitations: generated.invalidCitations,
        }
      : {}),
  };
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
