import { throwIfAborted, yieldToEventLoop } from '../abort.ts';

/**
 * Decides when a long synchronous loop should hand the event loop a turn (so aborts, progress
 * messages and other tasks get through) without paying a macrotask on every iteration.
 */
export class Pacer {
  private last = performance.now();

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly intervalMs = 30,
  ) {}

  /** True when the loop has run long enough since the last yield. Throws if aborted. */
  due(): boolean {
    throwIfAborted(this.signal);
    return performance.now() - this.last >= this.intervalMs;
  }

  /** Yields to the event loop, then throws if the signal was aborted meanwhile. */
  async breathe(): Promise<void> {
    await yieldToEventLoop();
    this.last = performance.now();
    throwIfAborted(this.signal);
  }
}
