import * as Comlink from 'comlink';
import './comlink-abort.ts';

/** Raised when a worker dies (uncaught error, out of memory, failed to load). */
export class WorkerCrashedError extends Error {
  override name = 'WorkerCrashedError';
}

export interface WorkerClientOptions {
  /** Human name used in error messages ("prepare worker"). */
  name: string;
  /** After this many crashes inside `crashWindowMs`, calls fail instead of restarting. */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** Once a call is aborted, give the worker this long to stop cooperatively before killing it. */
  hardCancelAfterMs?: number;
}

interface Live<Api> {
  worker: Worker;
  remote: Comlink.Remote<Api>;
  crashed: Promise<never>;
}

/**
 * A lazily started comlink worker that survives crashes: a crash rejects the calls in flight with
 * a clear error and the next call starts a fresh worker, up to a cap. An aborted call that the
 * worker does not end in time is ended by terminating the worker (squoosh's hard cancel).
 */
export class WorkerClient<Api> {
  private live: Live<Api> | null = null;
  private crashTimes: number[] = [];
  private readonly maxCrashes: number;
  private readonly crashWindowMs: number;
  private readonly hardCancelAfterMs: number;

  constructor(
    private readonly create: () => Worker,
    private readonly options: WorkerClientOptions,
  ) {
    this.maxCrashes = options.maxCrashes ?? 3;
    this.crashWindowMs = options.crashWindowMs ?? 60_000;
    this.hardCancelAfterMs = options.hardCancelAfterMs ?? 2_000;
  }

  get started(): boolean {
    return this.live !== null;
  }

  /**
   * Runs `fn` against the worker's API; pass the same `signal` you hand to the API method.
   * `hardCancelAfterMs` overrides the client's grace period for calls whose work cannot listen
   * (a long synchronous computation never sees the abort message).
   */
  async call<T>(
    fn: (api: Comlink.Remote<Api>) => Promise<T>,
    signal?: AbortSignal,
    { hardCancelAfterMs = this.hardCancelAfterMs }: { hardCancelAfterMs?: number } = {},
  ): Promise<T> {
    signal?.throwIfAborted();
    const live = this.start();
    const racers: Promise<T>[] = [fn(live.remote), live.crashed];
    let onAbort: (() => void) | undefined;
    if (signal) {
      racers.push(
        new Promise<never>((_, reject) => {
          onAbort = () => {
            const timer = setTimeout(() => {
              this.terminate();
              reject(new DOMException(`${this.options.name}: cancelled`, 'AbortError'));
            }, hardCancelAfterMs);
            void racers[0]?.finally(() => clearTimeout(timer)).catch(() => undefined);
          };
          signal.addEventListener('abort', onAbort, { once: true });
        }),
      );
    }
    try {
      return await Promise.race(racers);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  terminate(): void {
    if (!this.live) return;
    this.live.remote[Comlink.releaseProxy]();
    this.live.worker.terminate();
    this.live = null;
  }

  private start(): Live<Api> {
    if (this.live) return this.live;
    const now = Date.now();
    this.crashTimes = this.crashTimes.filter((t) => now - t < this.crashWindowMs);
    if (this.crashTimes.length >= this.maxCrashes) {
      throw new WorkerCrashedError(
        `The ${this.options.name} crashed ${this.crashTimes.length} times in a row and was not restarted. Reload the page; if it keeps happening, the data being processed may be too large for this device.`,
      );
    }
    const worker = this.create();
    const remote = Comlink.wrap<Api>(worker);
    const crashed = new Promise<never>((_, reject) => {
      const fail = (detail: string) => {
        if (this.live?.worker === worker) {
          this.crashTimes.push(Date.now());
          this.live = null;
          worker.terminate();
        }
        reject(
          new WorkerCrashedError(
            `The ${this.options.name} stopped unexpectedly: ${detail}. The next action starts a fresh one.`,
          ),
        );
      };
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        fail(event.message || 'the worker failed to load or threw outside a call');
      });
      worker.addEventListener('messageerror', () => fail('a message could not be read'));
    });
    crashed.catch(() => undefined);
    this.live = { worker, remote, crashed };
    return this.live;
  }
}
