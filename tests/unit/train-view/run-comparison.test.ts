import { describe, expect, it } from 'vitest';
import type { MetricRow } from '../../../src/core/store/index.ts';
import { defaultTrainConfigCopy } from '../../../src/core/train/config/defaults.ts';
import { compareRuns, type ComparedRun } from '../../../src/views/train/run-comparison.ts';

function trainRow(step: number, loss: number, speed: number): MetricRow {
  return { step, split: 'train', values: { loss, tokens_per_second: speed } };
}

function validationRow(step: number, loss: number, accuracy: number): MetricRow {
  return {
    step,
    split: 'validation',
    values: { loss, accuracy, perplexity: Math.exp(loss) },
  };
}

function run(label: string, learningRate: number, rows: MetricRow[]): ComparedRun {
  const config = defaultTrainConfigCopy();
  config.training.learning_rate = learningRate;
  return { label, status: 'done', config, rows };
}

const losses = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0.5, 0.25, 0.125];
const a = run('a', 0.001, [
  ...losses.map((loss, i) => trainRow(i + 1, loss, 100 + i)),
  validationRow(4, 5, 0.1),
  validationRow(8, 2, 0.4),
  validationRow(12, 3, 0.3),
]);
const b = run('b', 0.0005, [trainRow(1, 6, 50), trainRow(2, 4, 70)]);

function row(table: ReturnType<typeof compareRuns>, label: string) {
  const found = table.find((r) => r.label === label);
  if (!found) throw new Error(`no row ${label}`);
  return found;
}

describe('compareRuns', () => {
  const table = compareRuns([a, b]);

  it('flags the settings that differ and only those', () => {
    expect(row(table, 'Learning rate')).toMatchObject({
      values: ['0.001', '0.0005'],
      differs: true,
    });
    expect(row(table, 'Hidden size').differs).toBe(false);
    expect(table.filter((r) => r.section === 'setup' && r.differs).map((r) => r.label)).toEqual([
      'Learning rate',
    ]);
  });

  it('reads each run’s results from its own metric rows', () => {
    // Mean of the last 10 train losses of run a, by hand: (7+6+5+4+3+2+1+0.5+0.25+0.125) / 10.
    expect(row(table, 'Train loss (mean of last 10 steps)').values).toEqual(['2.888', '5']);
    expect(row(table, 'Best validation loss').values).toEqual(['2', '–']);
    expect(row(table, '…at step').values).toEqual(['8', '–']);
    expect(row(table, 'Validation accuracy there').values).toEqual(['0.4', '–']);
    expect(row(table, 'Validation perplexity there').values).toEqual(['7.389', '–']);
    expect(row(table, 'Steps logged').values).toEqual(['12', '2']);
    // (100 + … + 111) / 12 = 105.5; (50 + 70) / 2 = 60.
    expect(row(table, 'Mean tokens/s').values).toEqual(['105.5', '60']);
  });

  it('shows a dash for a run stored without a config, without calling it a difference', () => {
    const bare: ComparedRun = { label: 'c', status: 'done', config: null, rows: [] };
    const withBare = compareRuns([a, bare]);
    expect(row(withBare, 'Learning rate')).toMatchObject({
      values: ['0.001', '–'],
      differs: false,
    });
    expect(row(withBare, 'Steps logged').values).toEqual(['12', '–']);
  });
});
