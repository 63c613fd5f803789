import type { SplitRatios } from '../../prepare/options.ts';
import { BERT_ONLY_FIELDS, fieldApplies } from './architecture.ts';
import { ARCHITECTURE_ACTIVATION, defaultTrainConfigCopy } from './defaults.ts';
import {
  ALIASES,
  FIELD_BY_PATH,
  FIELDS,
  GROUP_PATHS,
  namesUnder,
  type FieldKind,
} from './fields.ts';
import { staticMixedPrecisionProblem } from './mixed-precision.ts';
import { getAtPath, isRecord, setAtPath } from './paths.ts';
import { closestName } from './suggest.ts';
import type { ConfigIssue, ConfigResult, ModelArchitecture, TrainConfig } from './types.ts';

/** Same tolerance as the prepare step's split check, so a config valid here is valid there. */
const RATIO_TOLERANCE = 1e-9;

interface Written {
  value: unknown;
  /** dotted path as written (differs from the canonical one for aliases) */
  written: string;
}

function show(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function wholeNumber(min: number, max?: number): string {
  return max === undefined
    ? `a whole number of ${min} or more`
    : `a whole number from ${min} to ${max}`;
}

export function describeKind(kind: FieldKind): string {
  switch (kind.type) {
    case 'integer':
      return (
        wholeNumber(kind.min, kind.max) + (kind.nullMeans ? ` or null (${kind.nullMeans})` : '')
      );
    case 'integer-or-auto':
      return `"auto" or ${wholeNumber(kind.min)}`;
    case 'number': {
      if (kind.min === 0 && kind.aboveMin && kind.max === undefined) return 'a positive number';
      const low = kind.aboveMin ? `above ${kind.min}` : `from ${kind.min}`;
      if (kind.max === undefined) return `a number of ${kind.min} or more`;
      if (kind.aboveMin)
        return `a number ${low} and ${kind.belowMax ? 'below' : 'up to'} ${kind.max}`;
      return `a number ${low} ${kind.belowMax ? 'to below' : 'to'} ${kind.max}`;
    }
    case 'enum':
      return `one of ${kind.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'string':
      return 'a non-empty string' + (kind.nullMeans ? ` or null (${kind.nullMeans})` : '');
    case 'string-list':
      return 'a list of non-empty strings';
  }
}

function inRange(
  value: number,
  kind: { min: number; max?: number; aboveMin?: boolean; belowMax?: boolean },
): boolean {
  if (kind.aboveMin ? value <= kind.min : value < kind.min) return false;
  if (kind.max === undefined) return true;
  return kind.belowMax ? value < kind.max : value <= kind.max;
}

/** The checked value, or null when it does not fit the kind. */
function checkValue(kind: FieldKind, value: unknown): { value: unknown } | null {
  switch (kind.type) {
    case 'integer':
      if (value === null && kind.nullMeans) return { value };
      return typeof value === 'number' && Number.isSafeInteger(value) && inRange(value, kind)
        ? { value }
        : null;
    case 'integer-or-auto':
      if (value === 'auto') return { value };
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= kind.min
        ? { value }
        : null;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && inRange(value, kind)
        ? { value }
        : null;
    case 'enum':
      return typeof value === 'string' && kind.values.includes(value) ? { value } : null;
    case 'string':
      if (value === null && kind.nullMeans) return { value };
      return typeof value === 'string' && value.trim() !== '' ? { value } : null;
    case 'string-list':
      return Array.isArray(value) &&
        value.every((item) => typeof item === 'string' && item.trim() !== '')
        ? { value: [...(value as string[])] }
        : null;
  }
}

function suggestionFor(parent: string, key: string): string {
  const near = closestName(key, namesUnder(parent));
  if (near) return `; did you mean "${near}"?`;
  const elsewhere =
    FIELDS.find((field) => field.path.endsWith(`.${key}`)) ??
    [...ALIASES.keys()].find((alias) => alias.endsWith(`.${key}`));
  const where = typeof elsewhere === 'string' ? elsewhere : elsewhere?.path;
  return where ? `; it belongs at ${where}` : '';
}

function collect(
  node: Record<string, unknown>,
  parent: string,
  values: Map<string, Written>,
  issues: ConfigIssue[],
): void {
  for (const [key, value] of Object.entries(node)) {
    const written = parent === '' ? key : `${parent}.${key}`;
    const alias = ALIASES.get(written);
    const target = alias?.to ?? written;
    if (FIELD_BY_PATH.has(target)) {
      const earlier = values.get(target);
      if (earlier) {
        issues.push({
          code: 'duplicate',
          path: target,
          writtenAs: written,
          message: `is given twice, as "${earlier.written}" and as "${written}"; keep one`,
        });
      } else {
        values.set(target, { value: alias?.convert ? alias.convert(value) : value, written });
      }
    } else if (GROUP_PATHS.has(target)) {
      // An empty YAML section (`model:` alone) reads as null: it just keeps the defaults.
      if (isRecord(value)) collect(value, target, values, issues);
      else if (value !== null) {
        issues.push({
          code: 'type',
          path: target,
          message: `must be a mapping of fields, got ${show(value)}`,
        });
      }
    } else {
      const where = parent === '' ? 'at the top level' : `in ${parent}`;
      issues.push({
        code: 'unknown-key',
        path: written,
        message: `unknown key "${key}" ${where}${suggestionFor(parent, key)}`,
      });
    }
  }
}

/** The activation the architecture implements, and no changed field it would ignore. */
function architectureChecks(
  c: TrainConfig,
  valid: (path: string) => boolean,
  add: (path: string, message: string) => void,
): void {
  const { architecture, hidden_act } = c.model;
  const activation = ARCHITECTURE_ACTIVATION[architecture];
  if (valid('model.hidden_act') && hidden_act !== activation) {
    add(
      'model.hidden_act',
      architecture === 'gpt2'
        ? `"${hidden_act}" is BERT's exact GELU; a gpt2 decoder implements only "gelu_new" (tanh GELU): set it or leave hidden_act out`
        : `"${hidden_act}" is GPT-2's tanh GELU; a bert encoder implements only "gelu" (exact GELU): set it, leave hidden_act out, or set architecture: gpt2`,
    );
  }
  if (architecture === 'bert') return;
  const defaults = defaultTrainConfigCopy(architecture);
  for (const [path, reason] of BERT_ONLY_FIELDS) {
    const value = getAtPath(c, path);
    if (valid(path) && value !== getAtPath(defaults, path)) {
      add(
        path,
        `(${String(value)}) does not apply to architecture ${architecture}: ${reason}; remove it`,
      );
    }
  }
}

function crossChecks(
  c: TrainConfig,
  valid: (path: string) => boolean,
  issues: ConfigIssue[],
): void {
  const add = (path: string, message: string) => issues.push({ code: 'conflict', path, message });
  const all = (...paths: string[]) => paths.every(valid);
  const { model, data, training } = c;

  if (valid('model.architecture')) architectureChecks(c, valid, add);

  if (all('model.d_model', 'model.n_heads') && model.d_model % model.n_heads !== 0) {
    add(
      'model.n_heads',
      `(${model.n_heads}) must divide model.d_model (${model.d_model}) so that every head gets d_model / n_heads dimensions`,
    );
  }
  if (all('data.seq_len', 'model.max_seq_len') && data.seq_len > model.max_seq_len) {
    add(
      'data.seq_len',
      `(${data.seq_len}) must not exceed model.max_seq_len (${model.max_seq_len}), the model has no position embeddings beyond it`,
    );
  }
  if (all('data.split.train', 'data.split.validation', 'data.split.test')) {
    const { train, validation, test } = data.split;
    const sum = train + validation + test;
    if (Math.abs(sum - 1) > RATIO_TOLERANCE) {
      add(
        'data.split',
        `train + validation + test must add up to 1, got ${train} + ${validation} + ${test} = ${Number(sum.toFixed(12))}`,
      );
    } else if (train === 0) {
      add('data.split.train', 'must be above 0: there is nothing to train on');
    }
    if (
      valid('training.early_stopping.patience') &&
      training.early_stopping.patience > 0 &&
      validation === 0
    ) {
      add(
        'training.early_stopping.patience',
        `(${training.early_stopping.patience}) needs a validation split, but data.split.validation is 0; set patience to 0 or give validation a share`,
      );
    }
  }
  if (
    fieldApplies('data.masking', model.architecture) &&
    all('data.masking.mask', 'data.masking.random', 'data.masking.keep')
  ) {
    const { mask, random, keep } = data.masking;
    const sum = mask + random + keep;
    if (Math.abs(sum - 1) > RATIO_TOLERANCE) {
      add(
        'data.masking',
        `mask + random + keep must add up to 1, got ${mask} + ${random} + ${keep} = ${Number(sum.toFixed(12))}`,
      );
    }
  }
  if (
    all('data.dataset', 'data.corpus_files') &&
    data.dataset !== null &&
    data.corpus_files.length > 0
  ) {
    add('data.corpus_files', 'give either data.dataset or data.corpus_files, not both');
  }
  if (
    all('training.warmup_steps', 'training.warmup_ratio') &&
    training.warmup_steps > 0 &&
    training.warmup_ratio > 0
  ) {
    add(
      'training.warmup_ratio',
      `set either warmup_steps (${training.warmup_steps}) or warmup_ratio (${training.warmup_ratio}), not both; set the other to 0`,
    );
  }
  if (
    all('training.warmup_steps', 'training.max_steps') &&
    training.max_steps !== null &&
    training.warmup_steps >= training.max_steps
  ) {
    add(
      'training.warmup_steps',
      `(${training.warmup_steps}) must be below training.max_steps (${training.max_steps})`,
    );
  }
  if (all('training.mixed_precision', 'training.backend')) {
    const problem = staticMixedPrecisionProblem(c);
    if (problem) add('training.mixed_precision', problem);
  }
}

export interface ValidateOptions {
  /**
   * The architecture a config that does not write `model.architecture` gets (default bert):
   * `lumina train clm` reads such a config as a decoder's.
   */
  defaultArchitecture?: ModelArchitecture;
}

/** The written architecture when valid: the defaults (activation, epsilon) follow it. */
function architectureOf(
  values: Map<string, Written>,
  fallback: ModelArchitecture,
): ModelArchitecture {
  const written = values.get('model.architecture')?.value;
  return written === 'gpt2' || written === 'bert' ? written : fallback;
}

/**
 * Checks a config object (from the form, from YAML or from JSON). Keys left out take their
 * defaults (those of the written `model.architecture`, bert when it is left out); aliases are
 * accepted; every problem is reported, not just the first.
 */
export function validateTrainConfig(input: unknown, options: ValidateOptions = {}): ConfigResult {
  const issues: ConfigIssue[] = [];
  const values = new Map<string, Written>();
  if (input !== null && input !== undefined) {
    if (isRecord(input)) collect(input, '', values, issues);
    else
      issues.push({
        code: 'type',
        path: '',
        message: `the config must be a mapping with model, data and training sections, got ${show(input)}`,
      });
  }

  const config = defaultTrainConfigCopy(
    architectureOf(values, options.defaultArchitecture ?? 'bert'),
  );
  const invalid = new Set<string>();
  for (const [path, { value, written }] of values) {
    const spec = FIELD_BY_PATH.get(path);
    if (!spec) continue;
    const checked = checkValue(spec.kind, value);
    if (checked) {
      setAtPath(config, path, checked.value);
      continue;
    }
    invalid.add(path);
    issues.push({
      code: 'type',
      path,
      ...(written !== path ? { writtenAs: written } : {}),
      message: `must be ${describeKind(spec.kind)}, got ${show(value)}`,
    });
  }
  crossChecks(config, (path) => !invalid.has(path), issues);
  return issues.length === 0
    ? { ok: true, config, issues: [] }
    : { ok: false, config: null, issues };
}

/** The split in the shape the prepare step's seeded `assignSplits` takes. */
export function splitRatiosOf(config: TrainConfig): SplitRatios {
  const { train, validation, test } = config.data.split;
  return { train, validation, test, seed: config.data.seed };
}

/** `training.learning_rate (line 12): must be a positive number, got "fast"` */
export function formatIssue(issue: ConfigIssue): string {
  const where: string[] = [];
  if (issue.writtenAs && issue.writtenAs !== issue.path)
    where.push(`written as ${issue.writtenAs}`);
  if (issue.line !== undefined) where.push(`line ${issue.line}`);
  const place = where.length > 0 ? ` (${where.join(', ')})` : '';
  return issue.path === ''
    ? `${where.length > 0 ? where.join(', ') : 'config'}: ${issue.message}`
    : `${issue.path}${place}: ${issue.message}`;
}
