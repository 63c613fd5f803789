import * as Comlink from 'comlink';
import type { BenchWorkerApi } from './bench.worker.ts';
import type { MemoryWorkerApi } from './memory.worker.ts';
import type {
  BrowserBenchRequest,
  BrowserBenchResult,
  MemoryEmbedRequest,
  MemoryEmbedResult,
  MemorySeedRequest,
  MemorySeedResult,
} from './protocol.ts';

async function withMemoryWorker<T>(
  work: (remote: Comlink.Remote<MemoryWorkerApi>) => Promise<T>,
): Promise<T> {
  const worker = new Worker(new URL('./memory.worker.ts', import.meta.url), { type: 'module' });
  const remote = Comlink.wrap<MemoryWorkerApi>(worker);
  try {
    return await work(remote);
  } finally {
    remote[Comlink.releaseProxy]();
    worker.terminate();
  }
}

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
  seedCorpus(request: MemorySeedRequest): Promise<MemorySeedResult> {
    return withMemoryWorker((remote) => remote.seed(request));
  },
  embedStored(request: MemoryEmbedRequest): Promise<MemoryEmbedResult> {
    return withMemoryWorker((remote) => remote.embed(request));
  },
};

export type LuminaBench = typeof luminaBench;

Object.assign(globalThis, { luminaBench });
document.title = 'lumina bench ready';
