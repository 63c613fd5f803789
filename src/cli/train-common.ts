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
import type { TfBackendName } from '../core/train/bert/backend.ts';
import type { TrainConfig } from '../core/train/config/index.ts';
import type { MlmData } from '../core/train/data/index.ts';
import { stateToJson, type TrainCheckpoint } from '../core/train/loop/index.ts';
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
