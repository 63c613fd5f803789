/**
 * What `lumina train mlm` and `lumina train clm` share: the common flags, the checkpoint files
 * that `--resume` continues from, the metrics file, and the Ctrl-C handling. Each command keeps
 * only its own flags, tokenizer and training call.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { MetricRow } from '../core/store/records.ts';
import type { JsonValue } from '../core/types.ts';
import { useBackend, type ActiveBackend, type TfBackendName } from '../core/train/bert/backend.ts';
import {
  formatIssue,
  parseTrainConfigYaml,
  type TrainConfig,
  type ValidateOptions,
} from '../core/train/config/index.ts';
import type { MlmData } from '../core/train/data/index.ts';
import {
  stateToJson,
  type TrainCheckpoint,
  type TrainLoopResult,
} from '../core/train/loop/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';

type ParseArgsOptions = NonNullable<ParseArgsConfig['options']>;

export const CHECKPOINT_DIR = 'checkpoints';
export const METRICS_FILE = 'metrics.jsonl';

/** Flags every `train` command takes. */
export const TRAIN_OPTIONS = {
  corpus: { type: 'string', multiple: true },
  config: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'boolean' },
  tokenizer: { type: 'string' },
  init: { type: 'string' },
  backend: { type: 'string' },
  'keep-checkpoints': { type: 'string' },
} as const satisfies ParseArgsOptions;

export interface TrainCommonArgs {
  corpus: string[];
  config: string;
  out: string;
  resume: boolean;
  tokenizer: string | undefined;
  init: string | undefined;
  backend: Exclude<TfBackendName, 'webgpu'> | undefined;
  keepCheckpoints: number;
}

interface TrainCommonValues {
  corpus?: string[] | undefined;
  config?: string | undefined;
  out?: string | undefined;
  resume?: boolean | undefined;
  tokenizer?: string | undefined;
  init?: string | undefined;
  backend?: string | undefined;
  'keep-checkpoints'?: string | undefined;
}

/** `parseArgs` over `options` (strict, positionals are corpus files); its errors are usage errors. */
export function parseTrainArgv<const O extends ParseArgsOptions>(args: string[], options: O) {
  try {
    return parseArgs({ args, strict: true, allowPositionals: true, options });
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

/** The arguments of a train command that takes only the common flags. */
export function parseCommonTrainArgs(args: string[]): TrainCommonArgs {
  const { values, positionals } = parseTrainArgv(args, TRAIN_OPTIONS);
  return commonTrainArgs(values, positionals);
}

/**
 * Checks the common flags. `checkOwn` checks a command's own flags; it runs before the
 * --resume/--init check so that the first error reported stays the same as it always was.
 */
export function commonTrainArgs(
  values: TrainCommonValues,
  positionals: readonly string[],
  checkOwn: () => void = () => {},
): TrainCommonArgs {
  const corpus = [...(values.corpus ?? []), ...positionals];
  if (corpus.length === 0) throw new UsageError('--corpus needs at least one file');
  if (!values.config) throw new UsageError('--config is required');
  if (!values.out) throw new UsageError('--out is required');
  const backend = values.backend;
  if (backend !== undefined && backend !== 'cpu' && backend !== 'wasm') {
    throw new UsageError('--backend must be cpu or wasm (webgpu needs a browser)');
  }
  const keep = Number(values['keep-checkpoints'] ?? '2');
  if (!Number.isInteger(keep) || keep < 0) {
    throw new UsageError('--keep-checkpoints must be an integer ≥ 0');
  }
  checkOwn();
  if (values.resume && values.init) throw new UsageError('give --resume or --init, not both');
  return {
    corpus,
    config: values.config,
    out: values.out,
    resume: values.resume ?? false,
    tokenizer: values.tokenizer,
    init: values.init,
    backend,
    keepCheckpoints: keep,
  };
}

/** The backend of --backend or the config, which Node can run (webgpu needs a browser). */
export function nodeBackend(
  args: Pick<TrainCommonArgs, 'backend'>,
  config: TrainConfig,
): Exclude<TfBackendName, 'webgpu'> {
  const backendName = args.backend ?? config.training.backend;
  if (backendName === 'webgpu') {
    throw new UsageError(
      'the config asks for the webgpu backend, which needs a browser: pass --backend wasm or cpu',
    );
  }
  return backendName;
}

/** The config file, validated; its issues are usage errors. */
export async function readTrainConfig(
  file: string,
  options: ValidateOptions = {},
): Promise<TrainConfig> {
  const result = parseTrainConfigYaml(await readFile(file, 'utf8'), options);
  if (!result.ok) {
    throw new UsageError(
      `--config ${file}:\n${result.issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`,
    );
  }
  return result.config;
}

/**
 * A train command's run in `<out>`: its config (read by `readConfig`, with the backend Node
 * runs), the checkpoint --resume continues from (if any), and the steps every train command
 * takes with them, so that each command keeps only its tokenizer, data and model.
 */
export async function openTrainRun(
  name: string,
  args: TrainCommonArgs,
  readConfig: (file: string) => Promise<TrainConfig>,
  io: CliIo,
  signal: AbortSignal | undefined,
) {
  const started = performance.now();
  const config = await readConfig(args.config);
  const backendName = nodeBackend(args, config);
  config.training.backend = backendName;
  const resume = await resumeCheckpoint(args);
  return {
    config,
    resume,
    /** The tokenizer.json kept in `<out>`: a resumed run goes on with the one it started with. */
    ownTokenizerFile: path.join(args.out, 'tokenizer.json'),
    /** Creates `<out>`; a fresh run copies its tokenizer files there, a resumed one keeps its own. */
    keepTokenizer: async (files: Record<string, Uint8Array | string>): Promise<void> => {
      await mkdir(args.out, { recursive: true });
      if (resume) return;
      for (const [file, content] of Object.entries(files)) {
        await writeFile(path.join(args.out, file), content);
      }
    },
    /** Starts the backend and logs which one runs. */
    startBackend: async (): Promise<ActiveBackend> => {
      const backend = await useBackend(backendName);
      io.stderr(`train ${name}: backend ${backend.name} (${backend.detail})`);
      return backend;
    },
    /**
     * Logs the size of `data`, then runs `trainer` with the options every train command passes
     * (resume, checkpoints, metrics, --init; see {@link trainerRunOptions}).
     */
    train: async <R>(
      unit: 'blocks' | 'sequences',
      data: Pick<MlmData, 'texts' | 'train' | 'validation'>,
      trainer: (options: Awaited<ReturnType<typeof trainerRunOptions>>) => Promise<R>,
    ): Promise<R> => {
      reportData(name, unit, data, config.data.seq_len, io);
      return trainer(await trainerRunOptions(name, args, resume, io, signal));
    },
    /** The common part of the JSON report; its `seconds` count from the command's start. */
    report: (
      result: Pick<TrainLoopResult, 'status' | 'step' | 'totalSteps' | 'epoch' | 'summary'>,
      backend: ActiveBackend,
      files: string[],
    ): TrainReport => trainReport(result, { started, backend, resume, out: args.out, files }),
  };
}

/** The corpus files as the model card's `data` line names them. */
export function corpusDescription(corpus: readonly string[]): string {
  return `${corpus.length} corpus file(s): ${corpus.map((f) => path.basename(f)).join(', ')}`;
}

export async function readLines(files: readonly string[]): Promise<string[]> {
  const texts: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`--corpus ${file}: ${(error as Error).message}`, { cause: error });
    }
    for (const line of text.split(/\r?\n/)) if (line.trim().length > 0) texts.push(line);
  }
  return texts;
}

interface StoredCheckpoint {
  step: number;
  tensors: Uint8Array;
  state: JsonValue;
}

function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

async function checkpointSteps(dir: string): Promise<number[]> {
  const names = existsSync(dir) ? await readdir(dir) : [];
  return names
    .map((name) => /^step-(\d+)\.json$/.exec(name)?.[1])
    .filter((step): step is string => step !== undefined)
    .map(Number)
    .filter((step) => existsSync(path.join(dir, `${checkpointName(step)}.safetensors`)))
    .sort((a, b) => a - b);
}

/** Tensors first, state JSON last: a state file only exists for a complete checkpoint. */
export async function saveCheckpoint(dir: string, checkpoint: TrainCheckpoint, keep: number) {
  await mkdir(dir, { recursive: true });
  const base = path.join(dir, checkpointName(checkpoint.step));
  await writeFile(`${base}.safetensors`, checkpoint.tensors);
  const record = {
    step: checkpoint.step,
    reason: checkpoint.reason,
    state: stateToJson(checkpoint.state),
  };
  await writeFile(`${base}.json.tmp`, JSON.stringify(record));
  await rename(`${base}.json.tmp`, `${base}.json`);
  const steps = await checkpointSteps(dir);
  for (const step of steps.slice(0, Math.max(0, steps.length - 1 - keep))) {
    await rm(path.join(dir, `${checkpointName(step)}.json`), { force: true });
    await rm(path.join(dir, `${checkpointName(step)}.safetensors`), { force: true });
  }
}

export async function latestCheckpoint(dir: string): Promise<StoredCheckpoint | undefined> {
  const step = (await checkpointSteps(dir)).at(-1);
  if (step === undefined) return undefined;
  const base = path.join(dir, checkpointName(step));
  const record = JSON.parse(await readFile(`${base}.json`, 'utf8')) as { state: JsonValue };
  return {
    step,
    tensors: new Uint8Array(await readFile(`${base}.safetensors`)),
    state: record.state,
  };
}

/** Keeps the metric rows up to `step`: rows of steps that the resumed run trains again go. */
export async function truncateMetrics(file: string, step: number): Promise<void> {
  if (!existsSync(file)) return;
  const kept = (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => line.trim().length > 0 && (JSON.parse(line) as MetricRow).step <= step);
  await writeFile(file, kept.map((line) => `${line}\n`).join(''));
}

/** The checkpoint `--resume` continues from; none without --resume. */
export async function resumeCheckpoint(
  args: Pick<TrainCommonArgs, 'out' | 'resume'>,
): Promise<StoredCheckpoint | undefined> {
  const checkpointsDir = path.join(args.out, CHECKPOINT_DIR);
  const resume = args.resume ? await latestCheckpoint(checkpointsDir) : undefined;
  if (args.resume && !resume) throw new UsageError(`--resume: no checkpoint in ${checkpointsDir}`);
  return resume;
}

/** Logs how many rows the corpus gave each split. */
export function reportData(
  name: string,
  unit: 'blocks' | 'sequences',
  data: Pick<MlmData, 'texts' | 'train' | 'validation'>,
  seqLen: number,
  io: CliIo,
): void {
  io.stderr(
    `train ${name}: ${data.texts} texts → ${data.train.inputIds.length} training and ` +
      `${data.validation.inputIds.length} validation ${unit} of ${seqLen} tokens`,
  );
}

/**
 * Readies `<out>`'s metrics and checkpoints: a resumed run drops the metric rows it trains again,
 * a fresh one starts without old files. Returns the trainer options every train command passes:
 * where to resume or start from (--init), where to save checkpoints and metrics, and the metric
 * log on stderr as `train <name>: step …`.
 */
export async function trainerRunOptions(
  name: string,
  args: Pick<TrainCommonArgs, 'out' | 'keepCheckpoints' | 'init'>,
  resume: StoredCheckpoint | undefined,
  io: CliIo,
  signal: AbortSignal | undefined,
) {
  const checkpointsDir = path.join(args.out, CHECKPOINT_DIR);
  const metricsFile = path.join(args.out, METRICS_FILE);
  if (resume) {
    await truncateMetrics(metricsFile, resume.step);
    io.stderr(`train ${name}: resuming at step ${resume.step}`);
  } else {
    await rm(metricsFile, { force: true });
    await rm(checkpointsDir, { recursive: true, force: true });
  }
  const initialWeights = await readInitialWeights(args.init);
  return {
    ...(initialWeights ? { initialWeights } : {}),
    ...(resume ? { resume: { tensors: resume.tensors, state: resume.state } } : {}),
    ...(signal ? { signal } : {}),
    saveCheckpoint: (checkpoint: TrainCheckpoint) =>
      saveCheckpoint(checkpointsDir, checkpoint, args.keepCheckpoints),
    saveMetrics: (rows: readonly MetricRow[]) =>
      appendFile(metricsFile, rows.map((row) => `${JSON.stringify(row)}\n`).join('')),
    onMetrics: (rows: readonly MetricRow[]) => {
      for (const row of rows) {
        const v = row.values;
        const extra =
          row.split === 'train'
            ? ` lr ${(v['learning_rate'] ?? 0).toExponential(2)} grad-norm ${(v['grad_norm'] ?? 0).toFixed(3)} ${Math.round(v['tokens_per_second'] ?? 0)} tok/s`
            : '';
        io.stderr(
          `train ${name}: step ${row.step} ${row.split} loss ${(v['loss'] ?? NaN).toFixed(4)} ` +
            `acc ${(v['accuracy'] ?? 0).toFixed(4)} ppl ${(v['perplexity'] ?? NaN).toFixed(2)}${extra}`,
        );
      }
    },
  };
}

/** `--init` takes a model folder or its model.safetensors. */
async function readInitialWeights(init: string | undefined): Promise<Uint8Array | undefined> {
  if (!init) return undefined;
  const file = init.endsWith('.safetensors') ? init : path.join(init, 'model.safetensors');
  return new Uint8Array(await readFile(file));
}

/** Writes a model folder's files under `dir`; returns their paths. */
export async function writeFiles(dir: string, files: Iterable<[string, Uint8Array]>) {
  const written: string[] = [];
  for (const [name, bytes] of files) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, bytes);
    written.push(file);
  }
  return written;
}

export const round = (value: number | null | undefined, digits = 6): number | null =>
  value === null || value === undefined || !Number.isFinite(value)
    ? null
    : Number(value.toFixed(digits));

/** The fields of the JSON report every train command prints. */
export interface TrainReport {
  status: TrainLoopResult['status'];
  steps: number;
  total_steps: number;
  epochs: number;
  train_loss: number | null;
  val_loss: number | null;
  val_accuracy: number | null;
  best_val_loss: number | null;
  best_step: number | null;
  tokens_per_second: number;
  seconds: number;
  backend: string;
  resumed_from: number | null;
  out: string;
  files: string[];
}

/** The common report of a finished (or stopped) run; `started` is its performance.now(). */
function trainReport(
  result: Pick<TrainLoopResult, 'status' | 'step' | 'totalSteps' | 'epoch' | 'summary'>,
  run: {
    started: number;
    backend: ActiveBackend;
    resume: StoredCheckpoint | undefined;
    out: string;
    files: string[];
  },
): TrainReport {
  const { summary } = result;
  return {
    status: result.status,
    steps: result.step,
    total_steps: result.totalSteps,
    epochs: round(result.epoch, 4) ?? 0,
    train_loss: round(summary.lastTrain?.loss),
    val_loss: round(summary.lastValidation?.loss),
    val_accuracy: round(summary.lastValidation?.accuracy),
    best_val_loss: round(summary.bestValLoss),
    best_step: summary.bestStep,
    tokens_per_second: round(summary.tokensPerSecond, 1) ?? 0,
    seconds: round((performance.now() - run.started) / 1000, 3) ?? 0,
    backend: run.backend.name,
    resumed_from: run.resume?.step ?? null,
    out: run.out,
    files: run.files,
  };
}

/**
 * Runs a train command and prints its report as one JSON line. Ctrl-C stops after the step under
 * way with a final checkpoint; a second one kills.
 */
export async function runTrainCommand(
  name: string,
  io: CliIo,
  run: (signal: AbortSignal) => Promise<unknown>,
): Promise<void> {
  const controller = new AbortController();
  const onInterrupt = () => {
    io.stderr(`train ${name}: stopping after this step (Ctrl-C again to kill)…`);
    controller.abort();
    process.off('SIGINT', onInterrupt);
  };
  process.on('SIGINT', onInterrupt);
  try {
    io.stdout(JSON.stringify(await run(controller.signal)));
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
