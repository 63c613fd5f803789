import { createHash } from 'node:crypto';
import { open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { throwIfAborted } from '../core/abort.ts';
import {
  streamBundle,
  type BundleChunking,
  type BundleDocument,
  type BundleModel,
} from '../core/bundle/index.ts';
import { defaultChunkOptions, type ChunkOptions } from '../core/chunk/index.ts';
import { bucketsUpTo, planBatches } from '../core/embed/batching/index.ts';
import { meanRow } from '../core/embed/job/index.ts';
import { EmbeddingModel } from '../core/embed/runtime/index.ts';
import { loadTokenizer } from '../core/tokenizer/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';
import { parseEmbedArgs, type EmbedOptions } from './embed-args.ts';
import { chunkCorpus, hashInputFiles, listInputFiles, type PlannedChunk } from './embed-inputs.ts';
import { fetchHubModel } from './hub-download.ts';
import { defaultCacheDir, defaultHubUrl, DEFAULT_REVISION, isHubId } from './hub-model-ref.ts';
import { hubProgressPrinter } from './hub-progress.ts';
import {
  BatchAppender,
  createPartial,
  openPartial,
  partialDir,
  PARTIAL_FORMAT,
  readChunks,
  readDocuments,
  readVectors,
  type EmbedPlan,
  type Fingerprint,
} from './embed-partial.ts';
import { ProgressDisplay, type Terminal } from './progress-display.ts';

/** The one JSON line the command ends with. */
export interface EmbedReport {
  documents: number;
  chunks: number;
  /** Tokens as the model sees them (special tokens and prefix included), all chunks. */
  tokens: number;
  /** Wall time of this run. */
  seconds: number;
  device: 'cpu';
  /** Tokens embedded by this run over the time spent embedding them. */
  tokensPerSecond: number;
  out: string;
  /** Chunks a previous, interrupted run had already embedded. */
  resumedChunks: number;
}

export interface EmbedControl {
  signal?: AbortSignal;
  /** Where to draw a progress bar; undefined prints periodic lines on `io.stderr`. */
  terminal?: Terminal;
  /** After each batch is on disk (tests interrupt runs with it). */
  onBatch?: (batchesDone: number, batchesTotal: number) => void;
  /** Fixed bundle time for a fresh plan; default now. A resumed run keeps its plan's. */
  created?: string;
  /** Where a hub id's files come from and are kept; defaults from the environment. */
  hub?: HubSettings;
}

export interface HubSettings {
  /** Default `LUMINA_HUB_URL`, else https://huggingface.co. */
  url?: string;
  /** Default `LUMINA_CACHE_DIR`, else `lumina` in the user's cache folder. */
  cacheDir?: string;
  /** Default `HF_TOKEN`; for gated or private repositories. */
  token?: string;
}

/** Most tokens the chunker is given by default; long contexts are rarely worth it for search. */
const DEFAULT_CHUNK_TOKENS = 256;
/** The model's own [CLS] and [SEP] come on top of a chunk's tokens. */
const SPECIAL_TOKENS = 2;

/** `lumina embed`: embeds files into a bundle, resuming an interrupted run of the same command. */
export async function embedCommand(args: string[], io: CliIo): Promise<void> {
  const options = parseEmbedArgs(args);
  const controller = new AbortController();
  const interrupt = (): void => {
    io.stderr('embed: interrupted; run the same command again to resume');
    controller.abort();
  };
  process.once('SIGINT', interrupt);
  try {
    const terminal = process.stderr.isTTY
      ? {
          write: (text: string) => void process.stderr.write(text),
          columns: process.stderr.columns,
        }
      : undefined;
    const report = await embed(options, io, { signal: controller.signal, terminal });
    io.stdout(JSON.stringify(report));
  } finally {
    process.off('SIGINT', interrupt);
  }
}

export async function embed(
  options: EmbedOptions,
  io: CliIo,
  control: EmbedControl = {},
): Promise<EmbedReport> {
  const started = performance.now();
  const { signal } = control;
  if (options.device === 'webgpu') {
    throw new UsageError(
      '--device webgpu is not available in the CLI (Node has no WebGPU); use auto or wasm, ' +
        'which run on the CPU, or embed in the browser app',
    );
  }
  const inputFiles = await listInputFiles(options.inputs);
  if (inputFiles.length === 0) throw new Error('no supported files found in the given folders');
  const source = await locateModel(options, io, control);
  const modelFiles = await readModelFolder(source.dir, source.id);
  const model = await EmbeddingModel.load(
    { kind: 'files', files: modelFiles.files, name: modelFiles.name },
    { device: 'wasm', dtype: 'fp32' },
    { signal },
  );
  try {
    const bundleModel = describeModel(model, source, modelFiles.weightsSha256);
    const chunking = chunkingFor(options, model.info.maxTokens);
    const fingerprint: Fingerprint = {
      inputs: (await hashInputFiles(inputFiles)).map((f) => ({ ...f })),
      model: { ...bundleModel },
      chunking: { ...chunking },
      batchTokens: options.batchTokens,
    };
    const dir = partialDir(options.out);
    let state = await openPartial(dir, fingerprint);
    if (state === undefined) {
      state = await planRun(dir, fingerprint, inputFiles, options, model, modelFiles, io, control);
    } else {
      io.stderr(
        `embed: resuming ${dir} (${state.doneBatches}/${state.plan.batches.length} batches done)`,
      );
    }
    const { plan } = state;
    const chunks = await readChunks(dir);
    const embedded = await runBatches(dir, plan, state.doneBatches, chunks, model, io, control);

    const documents = await readDocuments(dir);
    await writeBundleFile(options.out, plan, bundleModel, chunking, chunks, documents, signal);
    await rm(dir, { recursive: true, force: true });
    const tokens = chunks.reduce((sum, c) => sum + c.seqTokens, 0);
    return {
      documents: documents.length,
      chunks: chunks.length,
      tokens,
      seconds: round((performance.now() - started) / 1000),
      device: 'cpu',
      tokensPerSecond: embedded.seconds > 0 ? Math.round(embedded.tokens / embedded.seconds) : 0,
      out: options.out,
      resumedChunks: embedded.resumedChunks,
    };
  } finally {
    await model.dispose();
  }
}

async function planRun(
  dir: string,
  fingerprint: Fingerprint,
  inputFiles: readonly string[],
  options: EmbedOptions,
  model: EmbeddingModel,
  { tokenizer }: ModelFolderFiles,
  io: CliIo,
  control: EmbedControl,
) {
  const counter = loadTokenizer(tokenizer.json, tokenizer.config, model.info.name);
  const chunking = chunkingFor(options, model.info.maxTokens);
  const corpus = await chunkCorpus(
    inputFiles,
    chunking,
    counter,
    (texts) => model.countTokens(texts, 'document'),
    {
      ...(control.signal ? { signal: control.signal } : {}),
      onFileMessages: (file, messages, skipped) => {
        io.stderr(`embed: ${file}${skipped ? ': skipped' : ''}`);
        for (const m of messages) io.stderr(`  ${m.level}: ${m.message}`);
      },
    },
  );
  if (corpus.chunks.length === 0) throw new Error('the inputs hold no text to embed');
  const batches = planBatches(
    corpus.chunks.map((chunk, i) => ({ id: String(i), tokens: chunk.seqTokens })),
    { tokenBudget: options.batchTokens, buckets: bucketsUpTo(model.info.maxTokens) },
  );
  const plan: EmbedPlan = {
    format: PARTIAL_FORMAT,
    fingerprint,
    created: control.created ?? new Date().toISOString(),
    dims: model.info.dims,
    chunks: corpus.chunks.length,
    missing: corpus.missing,
    batches: batches.map((batch) => [...batch.indices]),
  };
  return createPartial(dir, plan, corpus.chunks, corpus.documents);
}

async function runBatches(
  dir: string,
  plan: EmbedPlan,
  doneBatches: number,
  chunks: readonly PlannedChunk[],
  model: EmbeddingModel,
  io: CliIo,
  control: EmbedControl,
): Promise<{ tokens: number; seconds: number; resumedChunks: number }> {
  const { signal } = control;
  const rowsOf = (batches: number[][]) => batches.reduce((sum, b) => sum + b.length, 0);
  const resumedChunks = rowsOf(plan.batches.slice(0, doneBatches));
  const progress = new ProgressDisplay(io, control.terminal);
  const started = performance.now();
  let done = resumedChunks;
  let tokens = 0;
  const appender = await BatchAppender.open(dir);
  try {
    progress.update(done, chunks.length, '');
    for (let b = doneBatches; b < plan.batches.length; b += 1) {
      throwIfAborted(signal);
      const rows = plan.batches[b] ?? [];
      const batchChunks = rows.map((row) => chunks[row] as PlannedChunk);
      const vectors = await model.embed(
        batchChunks.map((chunk) => chunk.text),
        'document',
        signal,
      );
      await appender.append(b, vectors);
      done += rows.length;
      tokens += batchChunks.reduce((sum, chunk) => sum + chunk.seqTokens, 0);
      const seconds = (performance.now() - started) / 1000;
      progress.update(done, chunks.length, `${Math.round(tokens / Math.max(seconds, 1e-3))} tok/s`);
      control.onBatch?.(b + 1, plan.batches.length);
    }
  } finally {
    progress.finish();
    await appender.close();
  }
  return { tokens, seconds: (performance.now() - started) / 1000, resumedChunks };
}

async function writeBundleFile(
  out: string,
  plan: EmbedPlan,
  model: BundleModel,
  chunking: BundleChunking,
  planned: readonly PlannedChunk[],
  documents: BundleDocument[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const { dims } = plan;
  const stored = await readVectors(partialDir(out));
  const embeddings = new Float32Array(planned.length * dims);
  let position = 0;
  for (const rows of plan.batches) {
    for (const row of rows) {
      embeddings.set(stored.subarray(position * dims, (position + 1) * dims), row * dims);
      position += 1;
    }
  }
  const chunks = planned.map(({ seqTokens: _seq, ...chunk }) => chunk);
  const docEmbeddings = documentMeans(chunks, embeddings, documents, dims, model.normalize);
  const temporary = `${out}.tmp`;
  await rm(temporary, { force: true });
  const handle = await open(temporary, 'w');
  try {
    await streamBundle(
      {
        appVersion: await luminaVersion(),
        created: plan.created,
        model,
        chunking,
        chunks,
        embeddings,
        documents,
        docEmbeddings,
        missingDocEmbeddings: plan.missing,
      },
      async (piece) => {
        await handle.write(piece);
      },
      signal ? { signal } : {},
    );
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, out);
}

/** Mean of each document's chunk vectors, L2-normalised when the chunk vectors are. */
function documentMeans(
  chunks: readonly { docId: string }[],
  embeddings: Float32Array,
  documents: readonly BundleDocument[],
  dims: number,
  normalize: boolean,
): Float32Array {
  const slot = new Map(documents.map((doc, i) => [doc.docId, i]));
  const sums = new Float64Array(documents.length * dims);
  chunks.forEach((chunk, row) => {
    const j = slot.get(chunk.docId);
    if (j === undefined) return;
    for (let d = 0; d < dims; d += 1) {
      sums[j * dims + d] = (sums[j * dims + d] ?? 0) + (embeddings[row * dims + d] ?? 0);
    }
  });
  const out = new Float32Array(documents.length * dims);
  documents.forEach((doc, j) => {
    const sum = sums.subarray(j * dims, (j + 1) * dims);
    out.set(meanRow(sum, doc.chunkCount, normalize), j * dims);
  });
  return out;
}

function chunkingFor(options: EmbedOptions, maxTokens: number): ChunkOptions & BundleChunking {
  const chunkTokens =
    options.chunkTokens ?? Math.max(1, Math.min(DEFAULT_CHUNK_TOKENS, maxTokens - SPECIAL_TOKENS));
  const overlapTokens =
    options.overlap ?? Math.min(defaultChunkOptions.overlapTokens, Math.floor(chunkTokens / 8));
  if (overlapTokens >= chunkTokens) {
    throw new UsageError(
      `--overlap (${overlapTokens}) must be smaller than --chunk-tokens (${chunkTokens})`,
    );
  }
  return { mode: defaultChunkOptions.mode, chunkTokens, overlapTokens };
}

function describeModel(
  model: EmbeddingModel,
  { id, revision }: ModelSource,
  weightsSha256: string,
): BundleModel {
  const { info } = model;
  return {
    id,
    revision,
    weightsSha256,
    dims: info.dims,
    pooling: info.pooling === 'last-token' ? 'last_token' : info.pooling,
    normalize: info.normalize,
    dtype: info.dtype,
    maxTokens: info.maxTokens,
    queryPrefix: info.queryPrefix,
    documentPrefix: info.documentPrefix,
  };
}

interface ModelSource {
  /** The folder to read the files from (for a hub id, its folder in the download cache). */
  dir: string;
  /** The manifest's model id: the hub id, or a local folder's name. */
  id: string;
  /** The hub revision; null for a local folder. */
  revision: string | null;
}

/** `--model` as a local folder if one exists by that name, else as a hub id fetched into the cache. */
async function locateModel(
  options: EmbedOptions,
  io: CliIo,
  control: EmbedControl,
): Promise<ModelSource> {
  const spec = options.model;
  if ((await stat(spec).catch(() => undefined))?.isDirectory()) {
    if (options.revision !== undefined) {
      throw new UsageError(`--revision applies to a hub id, but --model ${spec} is a local folder`);
    }
    return { dir: spec, id: path.basename(path.resolve(spec)), revision: null };
  }
  if (!isHubId(spec)) {
    throw new UsageError(
      `--model ${spec}: neither a local model folder nor a Hugging Face Hub id (owner/name)`,
    );
  }
  const ref = { id: spec, revision: options.revision ?? DEFAULT_REVISION };
  const hub = control.hub ?? {};
  const token = hub.token ?? process.env.HF_TOKEN;
  const folder = await fetchHubModel(ref, {
    hubUrl: (hub.url ?? defaultHubUrl()).replace(/\/+$/, ''),
    cacheDir: hub.cacheDir ?? defaultCacheDir(),
    ...(token ? { token } : {}),
    ...(control.signal ? { signal: control.signal } : {}),
    onProgress: hubProgressPrinter(io, ref.id),
  });
  io.stderr(
    `embed: model ${ref.id} (revision ${ref.revision}) ` +
      `${folder.fromCache ? 'from the cache' : 'downloaded to'} ${folder.dir}`,
  );
  return { dir: folder.dir, ...ref };
}

interface ModelFolderFiles {
  name: string;
  files: Map<string, Uint8Array>;
  weightsSha256: string;
  tokenizer: { json: unknown; config: unknown };
}

const WEIGHTS_FILE = 'onnx/model.onnx';

/**
 * The folder's files as the runtime wants them; other weights (safetensors, other dtypes) and
 * hidden entries (`.git`, the hub cache's marker and partial downloads) stay on disk.
 */
async function readModelFolder(dir: string, name: string): Promise<ModelFolderFiles> {
  const files = new Map<string, Uint8Array>();
  const walk = async (relative: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, relative), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const file = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(file);
      else if (entry.isFile() && !skipModelFile(file)) {
        files.set(file, new Uint8Array(await readFile(path.join(dir, file))));
      }
    }
  };
  await walk('');
  const weights = files.get(WEIGHTS_FILE);
  const tokenizerJson = files.get('tokenizer.json');
  if (!weights || !tokenizerJson) {
    throw new Error(
      `--model ${dir}: needs ${WEIGHTS_FILE} and tokenizer.json (a Hugging Face layout folder)`,
    );
  }
  const config = files.get('tokenizer_config.json');
  const decode = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));
  return {
    name,
    files,
    weightsSha256: createHash('sha256').update(weights).digest('hex'),
    tokenizer: { json: decode(tokenizerJson), config: config ? decode(config) : undefined },
  };
}

function skipModelFile(name: string): boolean {
  return name.endsWith('.safetensors') || (name.endsWith('.onnx') && name !== WEIGHTS_FILE);
}

async function luminaVersion(): Promise<string> {
  const pkg = JSON.parse(
    await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version?: string };
  return pkg.version ?? '0';
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
