/**
 * `lumina finetune`: fine-tunes a BERT-family sentence encoder (an HF folder with
 * model.safetensors, or a Hub id whose files are downloaded into the cache) with one of the sentence-transformers losses, with TF.js in Node. Evaluates
 * before and after (table on stderr), writes the model in the HF layout with ONNX to `--out`,
 * checkpoints to `<out>/checkpoints` (`--resume` continues) and prints one JSON line.
 */
import { createReadStream, existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadBeir } from '../core/eval/beir.ts';
import {
  binaryClassificationEvaluator,
  fineTune,
  FINETUNE_HUB_FILES,
  formatBadRows,
  presetForLoss,
  presetTraining,
  readBeirTrainingPairs,
  readLabelledPairs,
  readQaPairs,
  readScoredPairs,
  readTriplets,
  retrievalEvaluator,
  retrievalSetFromBeir,
  retrievalSetFromPairs,
  similarityEvaluator,
  splitValidation,
  fineTuneStateToJson,
  type Evaluator,
  type FineTuneCheckpoint,
  type FineTuneExamples,
  type LossName,
  type Metrics,
  type PairExample,
  type PoolingOptions,
  type RankingExample,
  type ReadResult,
} from '../core/finetune/index.ts';
import type { JsonValue } from '../core/types.ts';
import { useBackend } from '../core/train/bert/backend.ts';
import type { TrainingSection } from '../core/train/config/types.ts';
import { exportTrainedModel } from '../core/train/export/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';
import type { HubSettings } from './embed.ts';
import { fetchHubModel } from './hub-download.ts';
import { defaultCacheDir, defaultHubUrl, DEFAULT_REVISION, isHubId } from './hub-model-ref.ts';
import { hubProgressPrinter } from './hub-progress.ts';

const LOSSES: readonly LossName[] = ['mnrl', 'contrastive', 'online-contrastive', 'cosine'];
const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
];
const CHECKPOINT_DIR = 'checkpoints';
const METRICS_FILE = 'metrics.jsonl';
/** Share of the training pairs held out for evaluation when no --eval is given. */
const AUTO_VALIDATION_FRACTION = 0.1;

export interface FinetuneArgs {
  /** A local HF folder with model.safetensors, or a Hub id (owner/name) to download. */
  base: string;
  /** The Hub revision when `base` is a Hub id. */
  revision: string | undefined;
  pairs: string;
  loss: LossName;
  out: string;
  eval: string | undefined;
  epochs: number | undefined;
  batch: number | undefined;
  lr: number | undefined;
  maxSteps: number | undefined;
  resume: boolean;
  /** Use only the first N training examples. */
  limit: number | undefined;
  maxLength: number;
  seed: number | undefined;
  pooling: PoolingOptions['mode'] | undefined;
  backend: 'cpu' | 'wasm';
}

function positive(option: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || (integer && !Number.isInteger(parsed))) {
    throw new UsageError(`${option} must be a positive ${integer ? 'integer' : 'number'}`);
  }
  return parsed;
}

export function parseFinetuneArgs(args: string[]): FinetuneArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        base: { type: 'string' },
        revision: { type: 'string' },
        pairs: { type: 'string' },
        loss: { type: 'string' },
        out: { type: 'string' },
        eval: { type: 'string' },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        lr: { type: 'string' },
        'max-steps': { type: 'string' },
        resume: { type: 'boolean' },
        limit: { type: 'string' },
        'max-length': { type: 'string' },
        seed: { type: 'string' },
        pooling: { type: 'string' },
        backend: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  if (!values.base) throw new UsageError('--base is required');
  if (!values.pairs) throw new UsageError('--pairs is required');
  if (!values.out) throw new UsageError('--out is required');
  const loss = values.loss as LossName | undefined;
  if (!loss || !LOSSES.includes(loss)) {
    throw new UsageError(`--loss must be one of ${LOSSES.join(', ')}`);
  }
  const backend = values.backend ?? 'wasm';
  if (backend !== 'cpu' && backend !== 'wasm') {
    throw new UsageError('--backend must be cpu or wasm (webgpu needs a browser)');
  }
  const pooling = values.pooling;
  if (pooling !== undefined && pooling !== 'mean' && pooling !== 'cls') {
    throw new UsageError('--pooling must be mean or cls');
  }
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError('--seed: an integer');
  return {
    base: values.base,
    revision: values.revision,
    pairs: values.pairs,
    loss,
    out: values.out,
    eval: values.eval,
    epochs: positive('--epochs', values.epochs, true),
    batch: positive('--batch', values.batch, true),
    lr: positive('--lr', values.lr, false),
    maxSteps: positive('--max-steps', values['max-steps'], true),
    resume: values.resume ?? false,
    limit: positive('--limit', values.limit, true),
    maxLength: positive('--max-length', values['max-length'], true) ?? 128,
    seed,
    pooling,
    backend,
  };
}

function readLines(file: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
}

async function isDirectory(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isDirectory() ?? false;
}

/** The training examples the loss needs, from a file or (MNRL) a BEIR folder's train qrels. */
async function readExamples(
  args: FinetuneArgs,
  io: CliIo,
  signal?: AbortSignal,
): Promise<FineTuneExamples> {
  const file = args.pairs;
  let result: ReadResult<RankingExample> | ReadResult<PairExample>;
  if (await isDirectory(file)) {
    if (args.loss !== 'mnrl') throw new UsageError('--pairs <beir-dir> trains only with mnrl');
    const examples = await readBeirTrainingPairs(
      (relative) => readLines(path.join(file, relative)),
      signal ? { signal } : {},
    );
    result = { examples, badRows: [] };
  } else {
    if (!existsSync(file)) throw new UsageError(`--pairs ${file} does not exist`);
    const text = await readFile(file, 'utf8');
    const options = { file: path.basename(file), ...(signal ? { signal } : {}) };
    if (args.loss === 'mnrl') {
      const qa = file.toLowerCase().endsWith('.jsonl') && /"question"/.test(text.slice(0, 4096));
      result = qa ? await readQaPairs(text, options) : await readTriplets(text, options);
    } else if (args.loss === 'cosine') {
      result = await readScoredPairs(text, options);
    } else {
      result = await readLabelledPairs(text, options);
    }
  }
  if (result.badRows.length > 0) {
    io.stderr(`finetune: ${result.badRows.length} bad rows left out:`);
    io.stderr(formatBadRows(result.badRows));
  }
  const examples = args.limit ? result.examples.slice(0, args.limit) : result.examples;
  if (examples.length === 0) throw new Error(`--pairs ${file}: no usable examples`);
  return examples as FineTuneExamples;
}

/** The evaluation pairs of an `--eval` file, read as the loss's training file is. */
async function readEvalFile(
  args: FinetuneArgs,
  file: string,
  signal?: AbortSignal,
): Promise<Evaluator> {
  const text = await readFile(file, 'utf8');
  const options = { file: path.basename(file), ...(signal ? { signal } : {}) };
  let result: ReadResult<RankingExample> | ReadResult<PairExample>;
  if (args.loss === 'mnrl') {
    const qa = file.toLowerCase().endsWith('.jsonl') && /"question"/.test(text.slice(0, 4096));
    result = qa ? await readQaPairs(text, options) : await readTriplets(text, options);
  } else if (args.loss === 'cosine') {
    result = await readScoredPairs(text, options);
  } else {
    result = await readLabelledPairs(text, options);
  }
  const { examples, badRows } = result;
  if (badRows.length > 0) throw new Error(`--eval ${file}:\n${formatBadRows(badRows)}`);
  if (examples.length < 2) throw new Error(`--eval ${file}: needs at least two pairs`);
  const name = path.basename(file);
  if (args.loss === 'mnrl') {
    return retrievalEvaluator(retrievalSetFromPairs(examples as RankingExample[]), name);
  }
  return args.loss === 'cosine'
    ? similarityEvaluator(examples as PairExample[], name)
    : binaryClassificationEvaluator(examples as PairExample[], name);
}

/**
 * The evaluation: `--eval` names a BEIR folder (its test qrels) or a file of held-out pairs in the
 * loss's format (explicit split); without it, a seeded 10 % of the training examples is held out
 * (automatic split).
 */
export async function evaluatorFor(
  args: FinetuneArgs,
  examples: FineTuneExamples,
  seed: number,
  signal?: AbortSignal,
): Promise<{ evaluator: Evaluator; train: FineTuneExamples; source: string }> {
  if (args.eval) {
    if (await isDirectory(args.eval)) {
      const dataset = await loadBeir(
        (relative) => readLines(path.join(args.eval as string, relative)),
        {
          split: 'test',
          ...(signal ? { signal } : {}),
        },
      );
      return {
        evaluator: retrievalEvaluator(retrievalSetFromBeir(dataset), 'beir-test'),
        train: examples,
        source: `${args.eval} (qrels/test.tsv)`,
      };
    }
    if (!existsSync(args.eval)) throw new UsageError(`--eval ${args.eval} does not exist`);
    return {
      evaluator: await readEvalFile(args, args.eval, signal),
      train: examples,
      source: args.eval,
    };
  }
  const { train, validation } = splitValidation<RankingExample | PairExample>(examples, {
    fraction: AUTO_VALIDATION_FRACTION,
    seed,
  });
  const source = `${validation.length} held-out pairs`;
  if (args.loss === 'mnrl') {
    const held = validation as RankingExample[];
    return {
      evaluator: retrievalEvaluator(retrievalSetFromPairs(held), 'held-out'),
      train: train as RankingExample[],
      source,
    };
  }
  const held = validation as PairExample[];
  return {
    evaluator:
      args.loss === 'cosine'
        ? similarityEvaluator(held, 'held-out')
        : binaryClassificationEvaluator(held, 'held-out'),
    train: train as PairExample[],
    source,
  };
}

/** The base folder's sentence-transformers pooling, when it says; mean + normalise otherwise. */
async function basePooling(dir: string, mode: PoolingOptions['mode'] | undefined) {
  let found: PoolingOptions = { mode: 'mean', normalize: true };
  const poolingFile = path.join(dir, '1_Pooling', 'config.json');
  if (existsSync(poolingFile)) {
    const config = JSON.parse(await readFile(poolingFile, 'utf8')) as Record<string, unknown>;
    const modules = existsSync(path.join(dir, 'modules.json'))
      ? (JSON.parse(await readFile(path.join(dir, 'modules.json'), 'utf8')) as unknown[])
      : [];
    found = {
      mode: config['pooling_mode_cls_token'] === true ? 'cls' : 'mean',
      normalize: JSON.stringify(modules).includes('Normalize'),
    };
  }
  return mode ? { ...found, mode } : found;
}

async function readTokenizerFiles(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const name of TOKENIZER_FILES) {
    const file = path.join(dir, name);
    if (existsSync(file)) files.set(name, new Uint8Array(await readFile(file)));
  }
  if (!files.has('tokenizer.json')) throw new UsageError(`--base ${dir}: no tokenizer.json`);
  return files;
}

async function saveCheckpoint(dir: string, checkpoint: FineTuneCheckpoint): Promise<void> {
  await mkdir(dir, { recursive: true });
  // Tensors first, state last (renamed into place): a state file means a complete checkpoint.
  await writeFile(path.join(dir, 'latest.safetensors.tmp'), checkpoint.tensors);
  await rename(path.join(dir, 'latest.safetensors.tmp'), path.join(dir, 'latest.safetensors'));
  const record = {
    step: checkpoint.step,
    reason: checkpoint.reason,
    state: fineTuneStateToJson(checkpoint.state),
  };
  await writeFile(path.join(dir, 'latest.json.tmp'), JSON.stringify(record));
  await rename(path.join(dir, 'latest.json.tmp'), path.join(dir, 'latest.json'));
}

async function latestCheckpoint(
  dir: string,
): Promise<{ step: number; tensors: Uint8Array; state: JsonValue } | undefined> {
  const json = path.join(dir, 'latest.json');
  if (!existsSync(json)) return undefined;
  const record = JSON.parse(await readFile(json, 'utf8')) as { step: number; state: JsonValue };
  const tensors = new Uint8Array(await readFile(path.join(dir, 'latest.safetensors')));
  return { step: record.step, tensors, state: record.state };
}

export interface FinetuneReport {
  status: string;
  before: Metrics | null;
  after: Metrics | null;
  primary_metric: string | null;
  steps: number;
  seconds: number;
  loss: { first: number | null; last: number | null };
  examples: number;
  evaluation: string;
  backend: string;
  resumed_from: number | null;
  out: string;
}

const round = (value: number | null, digits = 6): number | null =>
  value === null || !Number.isFinite(value) ? null : Number(value.toFixed(digits));

function roundMetrics(metrics: Metrics | null): Metrics | null {
  if (!metrics) return null;
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, round(v) ?? Number.NaN]));
}

/** Before/after rows, one per metric, for stderr. */
export function beforeAfterTable(before: Metrics | null, after: Metrics | null): string {
  const names = Object.keys(before ?? after ?? {});
  const cell = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(4));
  const rows = names.map((name) => {
    const b = before?.[name];
    const a = after?.[name];
    const delta =
      a !== undefined && b !== undefined ? (a - b >= 0 ? '+' : '') + (a - b).toFixed(4) : '';
    return [name, cell(b), cell(a), delta];
  });
  const header = ['metric', 'before', 'after', 'change'];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * `--base` as a local folder when one exists by that name, else as a Hub id whose config,
 * tokenizer and model.safetensors are downloaded into the cache (with progress on stderr).
 */
export async function locateBase(
  args: Pick<FinetuneArgs, 'base' | 'revision'>,
  io: CliIo,
  hub: HubSettings = {},
  signal?: AbortSignal,
): Promise<string> {
  const spec = args.base;
  if (await isDirectory(spec)) {
    if (args.revision !== undefined) {
      throw new UsageError(`--revision applies to a hub id, but --base ${spec} is a local folder`);
    }
    return spec;
  }
  if (!isHubId(spec)) {
    throw new UsageError(
      `--base ${spec}: neither a local model folder nor a Hugging Face Hub id (owner/name)`,
    );
  }
  const ref = { id: spec, revision: args.revision ?? DEFAULT_REVISION };
  const token = hub.token ?? process.env.HF_TOKEN;
  const folder = await fetchHubModel(ref, {
    hubUrl: (hub.url ?? defaultHubUrl()).replace(/\/+$/, ''),
    cacheDir: hub.cacheDir ?? defaultCacheDir(),
    files: FINETUNE_HUB_FILES,
    folderOption: '--base',
    ...(token ? { token } : {}),
    ...(signal ? { signal } : {}),
    onProgress: hubProgressPrinter(io, ref.id),
  });
  io.stderr(
    `finetune: base ${ref.id} (revision ${ref.revision}) ` +
      `${folder.fromCache ? 'from the cache' : 'downloaded to'} ${folder.dir}`,
  );
  return folder.dir;
}

export async function finetuneCli(
  args: FinetuneArgs,
  io: CliIo,
  signal?: AbortSignal,
  hub: HubSettings = {},
): Promise<FinetuneReport> {
  const started = performance.now();
  const baseDir = await locateBase(args, io, hub, signal);
  const weightsFile = path.join(baseDir, 'model.safetensors');
  if (!existsSync(weightsFile)) throw new UsageError(`--base ${args.base}: no model.safetensors`);
  const configJson = JSON.parse(
    await readFile(path.join(baseDir, 'config.json'), 'utf8'),
  ) as Record<string, unknown>;
  const tokenizerFiles = await readTokenizerFiles(baseDir);
  const decode = (bytes: Uint8Array | undefined): unknown =>
    bytes ? JSON.parse(new TextDecoder().decode(bytes)) : undefined;
  const preset = presetForLoss(args.loss);
  const overrides: Partial<TrainingSection> = {
    backend: args.backend,
    ...(args.epochs ? { epochs: args.epochs } : {}),
    ...(args.batch ? { batch_size: args.batch } : {}),
    ...(args.lr ? { learning_rate: args.lr } : {}),
    ...(args.maxSteps ? { max_steps: args.maxSteps } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
  };
  const training = presetTraining(preset, overrides);
  const pooling = await basePooling(baseDir, args.pooling);
  const all = await readExamples(args, io, signal);
  const { evaluator, train, source } = await evaluatorFor(args, all, training.seed, signal);
  const checkpointsDir = path.join(args.out, CHECKPOINT_DIR);
  const resume = args.resume ? await latestCheckpoint(checkpointsDir) : undefined;
  if (args.resume && !resume) throw new UsageError(`--resume: no checkpoint in ${checkpointsDir}`);
  const metricsFile = path.join(args.out, METRICS_FILE);
  await mkdir(args.out, { recursive: true });
  if (!resume) {
    await rm(checkpointsDir, { recursive: true, force: true });
    await rm(metricsFile, { force: true });
  }
  const backend = await useBackend(args.backend);
  io.stderr(
    `finetune: ${args.loss} on ${train.length} examples, evaluating on ${source} ` +
      `(${evaluator.primaryMetric}); backend ${backend.name}` +
      (resume ? `; resuming at step ${resume.step}` : ''),
  );
  const result = await fineTune({
    base: {
      config: configJson,
      safetensors: new Uint8Array(await readFile(weightsFile)),
      tokenizer: decode(tokenizerFiles.get('tokenizer.json')),
      tokenizerConfig: decode(tokenizerFiles.get('tokenizer_config.json')),
    },
    train,
    evaluator,
    loss: preset.loss.name === args.loss ? preset.loss : { name: args.loss },
    pooling,
    training,
    maxLength: args.maxLength,
    ...(resume ? { resume: { tensors: resume.tensors, state: resume.state } } : {}),
    ...(signal ? { signal } : {}),
    saveCheckpoint: (checkpoint) => saveCheckpoint(checkpointsDir, checkpoint),
    saveMetrics: (rows) =>
      appendFile(metricsFile, rows.map((row) => `${JSON.stringify(row)}\n`).join('')),
    onMetrics: (rows) => {
      for (const row of rows) {
        const v = row.values;
        io.stderr(
          row.split === 'train'
            ? `finetune: step ${row.step} loss ${(v['loss'] ?? NaN).toFixed(4)} ` +
                `lr ${(v['learning_rate'] ?? 0).toExponential(2)} ` +
                `grad-norm ${(v['grad_norm'] ?? 0).toFixed(3)} ` +
                `${(v['examples_per_second'] ?? 0).toFixed(1)} ex/s`
            : `finetune: step ${row.step} ${evaluator.name} ${evaluator.primaryMetric} ` +
                `${(v[evaluator.primaryMetric] ?? NaN).toFixed(4)}`,
        );
      }
    },
  });
  io.stderr(`finetune: ${result.status} at step ${result.step} of ${result.totalSteps}`);
  io.stderr(beforeAfterTable(result.before, result.after));
  const files = await exportTrainedModel({
    config: configJson,
    encoderWeights: result.encoderWeights,
    tokenizerFiles,
    pooling: pooling.mode,
    normalize: pooling.normalize,
    name: path.basename(path.resolve(args.out)),
    maxSeqLength: Math.min(args.maxLength, result.encoderConfig.maxPositionEmbeddings),
    // A stopped run still writes the model it reached.
    ...(signal && result.status !== 'stopped' ? { signal } : {}),
  });
  for (const [relative, bytes] of files) {
    const target = path.join(args.out, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }
  return {
    status: result.status,
    before: roundMetrics(result.before),
    after: roundMetrics(result.after),
    primary_metric: result.primaryMetric,
    steps: result.step,
    seconds: round((performance.now() - started) / 1000, 3) ?? 0,
    loss: { first: round(result.firstLoss), last: round(result.lastLoss) },
    examples: train.length,
    evaluation: source,
    backend: backend.name,
    resumed_from: resume?.step ?? null,
    out: args.out,
  };
}

export async function finetuneCommand(args: string[], io: CliIo): Promise<void> {
  const parsed = parseFinetuneArgs(args);
  // Ctrl-C stops after the step under way with a final checkpoint; a second one kills.
  const controller = new AbortController();
  const onInterrupt = () => {
    io.stderr('finetune: stopping after this step (Ctrl-C again to kill)…');
    controller.abort();
    process.off('SIGINT', onInterrupt);
  };
  process.on('SIGINT', onInterrupt);
  try {
    io.stdout(JSON.stringify(await finetuneCli(parsed, io, controller.signal)));
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
