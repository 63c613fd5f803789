/**
 * Progress of a long operation: a `status`-tagged union sent to the caller as the work goes.
 * `fraction` never goes backwards and the last event is `{ status: 'done', fraction: 1 }`.
 */
export type Progress =
  | { status: 'start'; fraction: 0; message: string }
  | { status: 'progress'; fraction: number; message: string; done: number; total: number }
  | { status: 'done'; fraction: 1; message: string };

export type ProgressCallback = (event: Progress) => void;

/** Wraps a callback so progress is clamped to [0, 1], monotonic, and finished exactly once. */
export class ProgressReporter {
  private last = 0;
  private finished = false;

  constructor(private readonly callback: ProgressCallback | undefined) {}

  start(message: string): void {
    this.callback?.({ status: 'start', fraction: 0, message });
  }

  update(done: number, total: number, message = ''): void {
    if (this.finished) return;
    const raw = total > 0 ? done / total : 0;
    const fraction = Math.min(1, Math.max(this.last, raw));
    this.last = fraction;
    this.callback?.({ status: 'progress', fraction, message, done, total });
  }

  finish(message = 'done'): void {
    if (this.finished) return;
    this.finished = true;
    this.last = 1;
    this.callback?.({ status: 'done', fraction: 1, message });
  }

  /** A reporter for a sub-range [from, to] of this one, for jobs made of phases. */
  sub(from: number, to: number): (done: number, total: number, message?: string) => void {
    return (done, total, message = '') => {
      const inner = total > 0 ? Math.min(1, done / total) : 0;
      this.update(from + (to - from) * inner, 1, message);
    };
  }
}
