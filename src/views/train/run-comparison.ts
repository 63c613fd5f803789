import type { MetricRow } from '../../core/store/index.ts';
import type { TrainConfig } from '../../core/train/config/types.ts';

/** One run as the side-by-side table needs it. */
export interface ComparedRun {
  label: string;
  status: string;
  config: TrainConfig | null;
  rows: readonly MetricRow[];
}

export interface ComparisonRow {
  section: 'setup' | 'results';
  label: string;
  /** One cell per run, in the order given; '–' where the run has no value. */
  values: string[];
  /** The runs disagree here: what the reader should look at first. */
  differs: boolean;
}

type ConfigField = readonly [label: string, read: (config: TrainConfig) => unknown];

const SETUP: readonly ConfigField[] = [
  ['Hidden size', (c) => c.model.d_model],
  ['Layers', (c) => c.model.n_layers],
  ['Heads', (c) => c.model.n_heads],
  ['Feed-forward size', (c) => c.model.d_ff],
  ['Vocabulary', (c) => c.model.vocab_size],
  ['Sequence length', (c) => c.data.seq_len],
  ['Max samples', (c) => c.data.max_samples ?? 'all'],
  ['Batch size', (c) => c.training.batch_size],
  ['Gradient accumulation', (c) => c.training.grad_accumulation_steps],
  ['Epochs', (c) => c.training.epochs],
  ['Max steps', (c) => c.training.max_steps ?? 'none'],
  ['Learning rate', (c) => c.training.learning_rate],
  ['Schedule', (c) => c.training.schedule],
  ['Warmup', (c) => warmupText(c)],
  ['Weight decay', (c) => c.training.weight_decay],
  ['Max grad norm', (c) => c.training.max_grad_norm],
  ['Dropout', (c) => c.model.dropout],
  ['Early stopping patience', (c) => c.training.early_stopping.patience],
  ['Seed', (c) => c.training.seed],
  ['Backend', (c) => c.training.backend],
];

function warmupText(config: TrainConfig): string {
  const { warmup_steps: steps, warmup_ratio: ratio } = config.training;
  return steps > 0 ? `${steps} steps` : `${ratio * 100} %`;
}

const DASH = '–';

function cell(value: unknown): string {
  if (value === undefined || value === null) return DASH;
  // Four significant digits, without the trailing zeros toPrecision leaves (0.001, not 0.001000).
  if (typeof value === 'number') return String(Number(value.toPrecision(4)));
  return String(value);
}

function valueOf(row: MetricRow, key: string): number | undefined {
  const value = row.values[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

/** How many of the last train rows the "final train loss" averages: one step's loss is noisy. */
const FINAL_WINDOW = 10;

interface RunResults {
  steps: number | undefined;
  finalTrainLoss: number | undefined;
  bestValLoss: number | undefined;
  bestStep: number | undefined;
  accuracyAtBest: number | undefined;
  perplexityAtBest: number | undefined;
  tokensPerSecond: number | undefined;
}

function resultsOf(rows: readonly MetricRow[]): RunResults {
  const train = rows.filter((row) => row.split === 'train').sort((a, b) => a.step - b.step);
  const losses = train.map((row) => valueOf(row, 'loss')).filter((v) => v !== undefined);
  let best: MetricRow | undefined;
  for (const row of rows) {
    if (row.split !== 'validation') continue;
    const loss = valueOf(row, 'loss');
    if (loss === undefined) continue;
    const bestLoss = best ? valueOf(best, 'loss') : undefined;
    if (bestLoss === undefined || loss < bestLoss) best = row;
  }
  const speeds = train
    .map((row) => valueOf(row, 'tokens_per_second'))
    .filter((v) => v !== undefined);
  return {
    steps: train.at(-1)?.step,
    finalTrainLoss: mean(losses.slice(-FINAL_WINDOW)),
    bestValLoss: best ? valueOf(best, 'loss') : undefined,
    bestStep: best?.step,
    accuracyAtBest: best ? valueOf(best, 'accuracy') : undefined,
    perplexityAtBest: best ? valueOf(best, 'perplexity') : undefined,
    tokensPerSecond: mean(speeds),
  };
}

const RESULTS: readonly (readonly [string, (r: RunResults) => number | undefined])[] = [
  ['Steps logged', (r) => r.steps],
  [`Train loss (mean of last ${FINAL_WINDOW} steps)`, (r) => r.finalTrainLoss],
  ['Best validation loss', (r) => r.bestValLoss],
  ['…at step', (r) => r.bestStep],
  ['Validation accuracy there', (r) => r.accuracyAtBest],
  ['Validation perplexity there', (r) => r.perplexityAtBest],
  ['Mean tokens/s', (r) => r.tokensPerSecond],
];

/**
 * The runs side by side: their setup (config fields, the ones that differ flagged) and what
 * they reached, read from their logged metric rows.
 */
export function compareRuns(runs: readonly ComparedRun[]): ComparisonRow[] {
  const table: ComparisonRow[] = [];
  const push = (section: ComparisonRow['section'], label: string, values: string[]): void => {
    const known = values.filter((v) => v !== DASH);
    table.push({ section, label, values, differs: new Set(known).size > 1 });
  };
  push(
    'setup',
    'Status',
    runs.map((run) => run.status),
  );
  for (const [label, read] of SETUP) {
    push(
      'setup',
      label,
      runs.map((run) => (run.config ? cell(read(run.config)) : DASH)),
    );
  }
  const results = runs.map((run) => resultsOf(run.rows));
  for (const [label, read] of RESULTS) {
    push(
      'results',
      label,
      results.map((r) => cell(read(r))),
    );
  }
  return table;
}
