import { cosineSimilarity } from '../core/search/kernels.ts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseSts, pearson, spearman } from '../core/eval/index.ts';
import { UsageError, type CliIo } from './cli-types.ts';
import { parseEvalStsArgs, type EvalStsOptions } from './eval-args.ts';
import { embedAll, loadLocalModel } from './eval-model.ts';
import { phaseProgress } from './eval-progress.ts';

/** The one JSON line `lumina eval sts` prints. */
export interface EvalStsReport {
  data: string;
  model: string;
  pairs: number;
  /** Lines left out (see stderr for which and why). */
  badLines: number;
  /** Of the gold scores and the cosine similarities, as MTEB reports them. */
  spearman: number;
  pearson: number;
  seconds: number;
}

/** `lumina eval sts`: cosine similarity of each pair against its gold score. */
export async function evalStsCommand(args: string[], io: CliIo): Promise<void> {
  const options = parseEvalStsArgs(args);
  const controller = new AbortController();
  const interrupt = (): void => controller.abort();
  process.once('SIGINT', interrupt);
  try {
    io.stdout(JSON.stringify(await evalSts(options, io, controller.signal)));
  } finally {
    process.off('SIGINT', interrupt);
  }
}

export async function evalSts(
  options: EvalStsOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<EvalStsReport> {
  const started = performance.now();
  const content = await readFile(options.data, 'utf8').catch((error: unknown) => {
    throw new UsageError(`--data ${options.data}: ${(error as Error).message}`);
  });
  const { pairs, badLines } = parseSts(content);
  for (const bad of badLines)
    io.stderr(`eval: ${options.data}:${bad.line}: skipped (${bad.reason})`);
  if (pairs.length < 2) throw new Error(`${options.data}: needs at least two usable pairs`);
  const model = await loadLocalModel(options.model, signal);
  let similarities: number[];
  try {
    const texts = [...pairs.map((p) => p.sentence1), ...pairs.map((p) => p.sentence2)];
    const vectors = await embedAll(
      model,
      texts,
      'document',
      options.batchTokens,
      phaseProgress(io, 'embed sentences', 'sentences'),
      signal,
    );
    const { dims } = model.info;
    similarities = pairs.map((_, i) =>
      cosineSimilarity(
        vectors.subarray(i * dims, (i + 1) * dims),
        vectors.subarray((pairs.length + i) * dims, (pairs.length + i + 1) * dims),
      ),
    );
  } finally {
    await model.dispose();
  }
  const gold = pairs.map((p) => p.score);
  return {
    data: path.basename(options.data),
    model: path.basename(path.resolve(options.model)),
    pairs: pairs.length,
    badLines: badLines.length,
    spearman: round(spearman(gold, similarities)),
    pearson: round(pearson(gold, similarities)),
    seconds: round((performance.now() - started) / 1000),
  };
}

function round(value: number): number {
  return Math.round(value * 1e5) / 1e5;
}
