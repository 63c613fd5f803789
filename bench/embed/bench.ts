import * as Comlink from 'comlink';
import type { BenchWorkerApi } from './bench.worker.ts';
import type { BrowserBenchRequest, BrowserBenchResult } from './protocol.ts';

/** The bench page: the driver calls `luminaBench.run` through Playwright; work runs in a worker. */
const luminaBench = {
  async run(request: BrowserBenchRequest): Promise<BrowserBenchResult> {
    const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
    const remote = Comlink.wrap<BenchWorkerApi>(worker);
    try {
      return await remote.run(request);
    } finally {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    }
  },
};

export type LuminaBench = typeof luminaBench;

Object.assign(globalThis, { luminaBench });
document.title = 'lumina bench ready';
