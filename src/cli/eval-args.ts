import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from './cli-types.ts';

export type Retriever =
  { kind: 'bm25' } | { kind: 'dense'; model: string } | { kind: 'hybrid'; model: string };

export type FusionMethod = 'rrf' | 'weighted';

/**
 * `multi`: title and text as separate BM25 fields, each scored with its own statistics and
 * combined as Elasticsearch's `best_fields` (max + tie breaker × the rest); `flat`:
 * `title + " " + text` as one field, as Pyserini's flat BEIR indexes.
 *
 * The defaults (multi, k1 0.9, b 0.4, tie breaker 1 = field scores summed) are Pyserini's BEIR
 * "multifield" regression, the source of the published SciFact figure 0.665. BEIR's own
 * Elasticsearch code (`--k1 1.2 --b 0.75 --tie-breaker 0.5`) scores 0.691 today (beir-cellar/beir
 * issue 143); the search view's BM25 keeps Elasticsearch's k1 1.2, b 0.75.
 */
export type Bm25FieldsMode = 'multi' | 'flat';

export interface EvalBeirOptions {
  data: string;
  retriever: Retriever;
  split: string;
  k1: number;
  b: number;
  bm25Fields: Bm25FieldsMode;
  /** `best_fields` tie breaker of the multi-field BM25. */
  tieBreaker: number;
  fusion: FusionMethod;
  /** Weighted fusion: weight of the dense list; BM25 gets 1 − alpha. */
  alpha: number;
  /** RRF's smoothing constant. */
  rrfK: number;
  /** Documents retrieved (and written to the run file) per query. */
  depth: number;
  runOut: string | undefined;
  batchTokens: number;
}

export interface EvalStsOptions {
  data: string;
  model: string;
  batchTokens: number;
}

export const DEFAULT_EVAL_BATCH_TOKENS = 4096;

/** Runs a parse, turning node's argument errors into usage errors (exit code 2). */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

/** `bm25`, `dense:<model-dir>` or `hybrid:<model-dir>`. */
export function parseRetriever(value: string): Retriever {
  if (value === 'bm25') return { kind: 'bm25' };
  const match = /^(dense|hybrid):(.+)$/.exec(value);
  if (match) return { kind: match[1] as 'dense' | 'hybrid', model: match[2] as string };
  throw new UsageError(
    `--retriever must be bm25, dense:<model-dir> or hybrid:<model-dir>, got "${value}"`,
  );
}

export function parseEvalBeirArgs(args: string[]): EvalBeirOptions {
  const { values } = asUsage(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        retriever: { type: 'string', default: 'bm25' },
        split: { type: 'string', default: 'test' },
        k1: { type: 'string', default: '0.9' },
        b: { type: 'string', default: '0.4' },
        'bm25-fields': { type: 'string', default: 'multi' },
        'tie-breaker': { type: 'string', default: '1' },
        fusion: { type: 'string', default: 'rrf' },
        alpha: { type: 'string', default: '0.5' },
        'rrf-k': { type: 'string', default: '60' },
        depth: { type: 'string', default: '1000' },
        'run-out': { type: 'string' },
        'batch-tokens': { type: 'string', default: String(DEFAULT_EVAL_BATCH_TOKENS) },
      },
    }),
  );
  if (typeof values.data !== 'string') throw new UsageError('--data is required');
  const fusion = values.fusion;
  if (fusion !== 'rrf' && fusion !== 'weighted') {
    throw new UsageError(`--fusion must be rrf or weighted, got "${fusion}"`);
  }
  const bm25Fields = values['bm25-fields'];
  if (bm25Fields !== 'multi' && bm25Fields !== 'flat') {
    throw new UsageError(`--bm25-fields must be multi or flat, got "${bm25Fields}"`);
  }
  const split = values.split;
  if (!/^[\w.-]+$/.test(split))
    throw new UsageError(`--split must be a plain name, got "${split}"`);
  const runOut = values['run-out'];
  return {
    data: values.data,
    retriever: parseRetriever(values.retriever),
    split,
    k1: decimal('--k1', values.k1, 0, Infinity),
    b: decimal('--b', values.b, 0, 1),
    bm25Fields,
    tieBreaker: decimal('--tie-breaker', values['tie-breaker'], 0, 1),
    fusion,
    alpha: decimal('--alpha', values.alpha, 0, 1),
    rrfK: decimal('--rrf-k', values['rrf-k'], 0, Infinity),
    depth: integer('--depth', values.depth),
    runOut: typeof runOut === 'string' ? path.resolve(runOut) : undefined,
    batchTokens: integer('--batch-tokens', values['batch-tokens']),
  };
}

export function parseEvalStsArgs(args: string[]): EvalStsOptions {
  const { values } = asUsage(() =>
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        data: { type: 'string' },
        model: { type: 'string' },
        'batch-tokens': { type: 'string', default: String(DEFAULT_EVAL_BATCH_TOKENS) },
      },
    }),
  );
  if (typeof values.data !== 'string') throw new UsageError('--data is required');
  if (typeof values.model !== 'string') throw new UsageError('--model is required');
  return {
    data: values.data,
    model: values.model,
    batchTokens: integer('--batch-tokens', values['batch-tokens']),
  };
}

function decimal(option: string, value: string, min: number, max: number): number {
  const parsed = /^\d+(\.\d+)?$|^\.\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    const range = max === Infinity ? `≥ ${min}` : `between ${min} and ${max}`;
    throw new UsageError(`${option} must be a number ${range}, got "${value}"`);
  }
  return parsed;
}

function integer(option: string, value: string): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < 1) {
    throw new UsageError(`${option} must be a positive integer, got "${value}"`);
  }
  return parsed;
}
