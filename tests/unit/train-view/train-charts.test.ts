import { describe, expect, it } from 'vitest';
import type { MetricRow } from '../../../src/core/store/index.ts';
import {
  CURVES,
  curveOption,
  metricsJsonl,
  perEpochRows,
} from '../../../src/views/train/train-charts.ts';

/** Two epochs of 4 steps: train rows every step, validation at steps 2, 4, 6, 8. */
function rows(): MetricRow[] {
  const out: MetricRow[] = [];
  for (let step = 1; step <= 8; step++) {
    out.push({
      step,
      split: 'train',
      values: { loss: 10 - step, learning_rate: step / 100, epoch: step / 4 },
    });
    if (step % 2 === 0)
      out.push({ step, split: 'validation', values: { loss: 20 - step, epoch: step / 4 } });
  }
  return out;
}

interface Series {
  name: string;
  data: [number, number][];
}

function seriesOf(option: ReturnType<typeof curveOption>): Series[] {
  return (option as { series: Series[] }).series;
}

const loss = CURVES.find((c) => c.id === 'loss');
const lr = CURVES.find((c) => c.id === 'learning-rate');

describe('perEpochRows', () => {
  it('averages train rows per epoch and keeps the last validation row', () => {
    const epochs = perEpochRows(rows());
    const train = epochs.filter((r) => r.split === 'train');
    const validation = epochs.filter((r) => r.split === 'validation');
    // Epoch 1: steps 1..4, losses 9, 8, 7, 6; epoch 2: steps 5..8, losses 5, 4, 3, 2.
    expect(train.map((r) => [r.values['epoch'], r.values['loss']])).toEqual([
      [1, 7.5],
      [2, 3.5],
    ]);
    expect(validation.map((r) => [r.step, r.values['epoch'], r.values['loss']])).toEqual([
      [4, 1, 16],
      [8, 2, 12],
    ]);
  });

  it('gives a partly done epoch its own point', () => {
    const partial = rows().filter((r) => r.step <= 5);
    const train = perEpochRows(partial).filter((r) => r.split === 'train');
    expect(train.map((r) => [r.values['epoch'], r.values['loss']])).toEqual([
      [1, 7.5],
      [2, 5],
    ]);
  });
});

describe('curveOption', () => {
  it('overlays a train and a validation line per compared run', () => {
    if (!loss) throw new Error('no loss curve');
    const other = rows().map((r) => ({ ...r, values: { ...r.values, loss: 1 } }));
    const series = seriesOf(
      curveOption(
        loss,
        [
          { label: 'a', rows: rows() },
          { label: 'b', rows: other },
        ],
        'step',
      ),
    );
    expect(series.map((s) => s.name)).toEqual([
      'a train',
      'a validation',
      'b train',
      'b validation',
    ]);
    expect(series[0]?.data).toHaveLength(8);
    expect(series[1]?.data).toEqual([
      [2, 18],
      [4, 16],
      [6, 14],
      [8, 12],
    ]);
    expect(series[2]?.data.every(([, y]) => y === 1)).toBe(true);
  });

  it('plots per epoch on the epoch axis, and train-only values once per run', () => {
    if (!lr) throw new Error('no learning-rate curve');
    const series = seriesOf(curveOption(lr, [{ label: 'a', rows: rows() }], 'epoch'));
    expect(series.map((s) => s.name)).toEqual(['a']);
    expect(series[0]?.data.map(([x]) => x)).toEqual([1, 2]);
    expect(series[0]?.data[0]?.[1]).toBeCloseTo((0.01 + 0.02 + 0.03 + 0.04) / 4, 12);
  });
});

describe('metricsJsonl', () => {
  it('writes one flat JSON object per metric row', () => {
    const all = rows();
    const lines = metricsJsonl('run-1', all).trimEnd().split('\n');
    expect(lines).toHaveLength(all.length);
    expect(JSON.parse(lines[1] ?? '')).toEqual({
      run_id: 'run-1',
      step: 2,
      split: 'train',
      loss: 8,
      learning_rate: 0.02,
      epoch: 0.5,
    });
    expect(metricsJsonl('run-1', [])).toBe('');
  });
});
