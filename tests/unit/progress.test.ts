import { describe, expect, it } from 'vitest';
import { ProgressReporter, type Progress } from '../../src/core/progress.ts';

describe('ProgressReporter', () => {
  it('never goes backwards, clamps to [0, 1] and finishes once at 1', () => {
    const events: Progress[] = [];
    const reporter = new ProgressReporter((e) => events.push(e));
    reporter.start('go');
    reporter.update(5, 10);
    reporter.update(3, 10);
    reporter.update(20, 10);
    reporter.finish();
    reporter.finish();
    reporter.update(1, 10);
    expect(events.map((e) => e.fraction)).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(events.filter((e) => e.status === 'done')).toHaveLength(1);
  });

  it('maps phases into sub-ranges', () => {
    const events: Progress[] = [];
    const reporter = new ProgressReporter((e) => events.push(e));
    const second = reporter.sub(0.5, 1);
    second(1, 2);
    expect(events.at(-1)?.fraction).toBeCloseTo(0.75);
  });
});
