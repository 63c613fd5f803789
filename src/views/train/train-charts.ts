import type { EChartsCoreOption } from 'echarts';
import type { MetricRow } from '../../core/store/index.ts';

export type CurveAxis = 'step' | 'epoch';

/** One chart of the dashboard: which value of which splits it plots. */
export interface CurveSpec {
  id: string;
  title: string;
  value: string;
  splits: readonly ('train' | 'validation')[];
  /** Log scale for values spanning decades (perplexity, learning rate near warmup). */
  log?: boolean;
}

export const CURVES: readonly CurveSpec[] = [
  { id: 'loss', title: 'Loss (MLM)', value: 'loss', splits: ['train', 'validation'] },
  {
    id: 'accuracy',
    title: 'Masked-token accuracy',
    value: 'accuracy',
    splits: ['train', 'validation'],
  },
  {
    id: 'perplexity',
    title: 'Perplexity',
    value: 'perplexity',
    splits: ['train', 'validation'],
    log: true,
  },
  { id: 'learning-rate', title: 'Learning rate', value: 'learning_rate', splits: ['train'] },
  { id: 'tokens-per-second', title: 'Tokens/s', value: 'tokens_per_second', splits: ['train'] },
];

/** The metric rows of one run, as plotted: a label for the legend and its rows. */
export interface RunCurves {
  label: string;
  rows: readonly MetricRow[];
}

/**
 * One point per epoch: the train rows of epoch e (epoch value in (e − 1, e]) averaged, and the
 * last validation row of that epoch. A run stopped inside an epoch gets a point for the part done.
 */
export function perEpochRows(rows: readonly MetricRow[]): MetricRow[] {
  const groups = new Map<string, { split: MetricRow['split']; epoch: number; rows: MetricRow[] }>();
  for (const row of rows) {
    const raw = row.values['epoch'];
    if (raw === undefined) continue;
    // Rows at an epoch's last step carry exactly e; float noise must not push them into e + 1.
    const epoch = Math.max(1, Math.ceil(raw - 1e-9));
    const key = `${row.split}:${epoch}`;
    const group = groups.get(key) ?? { split: row.split, epoch, rows: [] };
    group.rows.push(row);
    groups.set(key, group);
  }
  const out: MetricRow[] = [];
  for (const group of groups.values()) {
    const sorted = [...group.rows].sort((a, b) => a.step - b.step);
    const last = sorted[sorted.length - 1];
    if (!last) continue;
    if (group.split !== 'train') {
      out.push({ ...last, values: { ...last.values, epoch: group.epoch } });
      continue;
    }
    const values: Record<string, number> = {};
    for (const name of new Set(sorted.flatMap((row) => Object.keys(row.values)))) {
      const present = sorted
        .map((row) => row.values[name])
        .filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (present.length) values[name] = present.reduce((a, b) => a + b, 0) / present.length;
    }
    values['epoch'] = group.epoch;
    out.push({ step: last.step, split: 'train', values });
  }
  return out.sort((a, b) => a.step - b.step);
}

function points(
  rows: readonly MetricRow[],
  split: string,
  value: string,
  axis: CurveAxis,
): [number, number][] {
  const out: [number, number][] = [];
  for (const row of rows) {
    if (row.split !== split) continue;
    const y = row.values[value];
    const x = axis === 'step' ? row.step : row.values['epoch'];
    if (y === undefined || x === undefined || !Number.isFinite(y)) continue;
    out.push([x, y]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** The ECharts option of one dashboard chart, a line per run and split (overlaid to compare). */
export function curveOption(
  spec: CurveSpec,
  runs: readonly RunCurves[],
  axis: CurveAxis,
): EChartsCoreOption {
  const series = runs.flatMap((run) => {
    const rows = axis === 'epoch' ? perEpochRows(run.rows) : run.rows;
    return spec.splits.map((split) => ({
      name: spec.splits.length > 1 ? `${run.label} ${split}` : run.label,
      type: 'line',
      showSymbol: axis === 'epoch',
      animation: false,
      lineStyle: split === 'validation' ? { type: 'dashed' } : undefined,
      data: points(rows, split, spec.value, axis),
    }));
  });
  return {
    title: { text: spec.title, textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis' },
    legend: { top: 20, type: 'scroll' },
    grid: { top: 60, left: 60, right: 20, bottom: 40 },
    xAxis: {
      type: 'value',
      name: axis,
      nameLocation: 'middle',
      nameGap: 25,
      minInterval: axis === 'epoch' ? 1 : 0,
    },
    yAxis: { type: spec.log ? 'log' : 'value', scale: true },
    series,
  };
}

/** Metric rows as JSON Lines, one flat object per row (run_id, step, split, then the values). */
export function metricsJsonl(runId: string, rows: readonly MetricRow[]): string {
  return rows
    .map((row) =>
      JSON.stringify({ run_id: runId, step: row.step, split: row.split, ...row.values }),
    )
    .join('\n')
    .concat(rows.length ? '\n' : '');
}
