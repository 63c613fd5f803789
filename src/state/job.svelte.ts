import * as Comlink from 'comlink';
import { isAbortError } from '../core/abort.ts';
import type { Progress, ProgressCallback } from '../core/progress.ts';

/** One long operation at a time per view: its progress, its cancel button, its outcome. */
export class JobState {
  label = $state('');
  progress = $state<Progress | null>(null);
  running = $state(false);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  private controller: AbortController | null = null;
  private generation = 0;

  /** Runs `work` with a fresh signal and a progress callback that can cross into a worker. */
  async run<T>(
    label: string,
    work: (signal: AbortSignal, onProgress: ProgressCallback) => Promise<T>,
  ): Promise<T | undefined> {
    if (this.running) return undefined;
    this.controller = new AbortController();
    this.label = label;
    this.running = true;
    this.error = null;
    this.notice = null;
    this.progress = null;
    // Progress travels on its own port and can trail the result: ignore a finished job's events.
    const generation = ++this.generation;
    const onProgress = Comlink.proxy((event: Progress) => {
      if (generation === this.generation && this.running) this.progress = event;
    });
    try {
      return await work(this.controller.signal, onProgress);
    } catch (error) {
      if (isAbortError(error)) this.notice = `${label}: cancelled.`;
      else
        this.error = `${label} failed: ${error instanceof Error ? error.message : String(error)}`;
      return undefined;
    } finally {
      this.running = false;
      this.controller = null;
    }
  }

  cancel(): void {
    this.controller?.abort();
  }

  get percent(): number {
    return Math.round((this.progress?.fraction ?? 0) * 100);
  }
}
