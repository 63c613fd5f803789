export interface CleaningOptions {
  /** drop lines like ' = Title = ' / ' = = Sub = = ' */
  wikiHeadings: boolean;
  /** ' @-@ '→'-', ' @.@ '→'.', ' @,@ '→',' */
  wikiArtifacts: boolean;
  /** what to do with `<unk>` */
  unk: 'keep' | 'remove' | 'replace';
  /** what `<unk>` becomes with unk: 'replace' (default "[UNK]") */
  unkReplacement?: string;
  /** collapse runs, fix ' , ' → ', ' detokenisation of wiki spacing, trim */
  whitespace: boolean;
  /** drop paragraphs that are mostly punctuation/numbers */
  dropNoisy: boolean;
  /** share of letters below which a paragraph is noise, default 0.5 */
  noisyThreshold?: number;
}

export interface SplitRatios {
  train: number;
  validation: number;
  test: number;
  seed: number;
}

export interface PrepareOptions {
  cleaning: CleaningOptions;
  /** one text per document, per paragraph, or per run of short paragraphs merged together */
  paragraphs: 'keep-documents' | 'split' | 'merge';
  /** merge consecutive short paragraphs until >= this (default 500) */
  mergeMinChars?: number;
  /** keep texts whose token count lies in [min, max] */
  tokenFilter: { min: number; max: number } | null;
  /** exact duplicates after cleaning, keep first */
  dedupe: boolean;
  split: SplitRatios;
}

export const DEFAULT_UNK_REPLACEMENT = '[UNK]';
export const DEFAULT_NOISY_THRESHOLD = 0.5;
export const DEFAULT_MERGE_MIN_CHARS = 500;

export const defaultPrepareOptions: PrepareOptions = {
  cleaning: {
    wikiHeadings: true,
    wikiArtifacts: true,
    unk: 'remove',
    whitespace: true,
    dropNoisy: true,
    noisyThreshold: DEFAULT_NOISY_THRESHOLD,
  },
  paragraphs: 'split',
  mergeMinChars: DEFAULT_MERGE_MIN_CHARS,
  tokenFilter: { min: 8, max: 1024 },
  dedupe: true,
  split: { train: 0.8, validation: 0.1, test: 0.1, seed: 42 },
};

const RATIO_TOLERANCE = 1e-9;

function isWhole(value: number, min: number): boolean {
  return Number.isInteger(value) && value >= min;
}

/** Problems with the options, each a sentence naming the field; empty when they are usable. */
export function validatePrepareOptions(o: PrepareOptions): string[] {
  const problems: string[] = [];
  const { train, validation, test, seed } = o.split;
  const ratios = { train, validation, test };
  for (const [name, value] of Object.entries(ratios)) {
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      problems.push(`split.${name} must be a number between 0 and 1 (got ${value}).`);
    }
  }
  const sum = train + validation + test;
  if (Number.isFinite(sum) && Math.abs(sum - 1) > RATIO_TOLERANCE) {
    problems.push(
      `split ratios must add up to 1 (train ${train} + validation ${validation} + test ${test} = ${sum}).`,
    );
  }
  if (!Number.isSafeInteger(seed))
    problems.push(`split.seed must be a whole number (got ${seed}).`);
  if (o.tokenFilter) {
    const { min, max } = o.tokenFilter;
    if (!isWhole(min, 0))
      problems.push(`tokenFilter.min must be a whole number of 0 or more (got ${min}).`);
    if (!isWhole(max, 1))
      problems.push(`tokenFilter.max must be a whole number of 1 or more (got ${max}).`);
    if (min > max)
      problems.push(`tokenFilter.min (${min}) must not exceed tokenFilter.max (${max}).`);
  }
  if (o.mergeMinChars !== undefined && !isWhole(o.mergeMinChars, 1)) {
    problems.push(`mergeMinChars must be a whole number of 1 or more (got ${o.mergeMinChars}).`);
  }
  const threshold = o.cleaning.noisyThreshold;
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) {
    problems.push(`cleaning.noisyThreshold must lie between 0 and 1 (got ${threshold}).`);
  }
  if (!['keep-documents', 'split', 'merge'].includes(o.paragraphs)) {
    problems.push(
      `paragraphs must be keep-documents, split or merge (got "${String(o.paragraphs)}").`,
    );
  }
  if (!['keep', 'remove', 'replace'].includes(o.cleaning.unk)) {
    problems.push(
      `cleaning.unk must be keep, remove or replace (got "${String(o.cleaning.unk)}").`,
    );
  }
  return problems;
}
