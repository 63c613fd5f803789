import type { PrepareApi } from '../../workers/prepare.worker.ts';
import { WorkerClient } from './worker-client.ts';

/** Thin, lazily started clients of Lumina's workers; the page only imports their API types. */
export const prepareClient = new WorkerClient<PrepareApi>(
  () =>
    new Worker(new URL('../../workers/prepare.worker.ts', import.meta.url), {
      type: 'module',
      name: 'lumina-prepare',
    }),
  // Rolling back a large half-imported file can take seconds; only a hung worker is killed.
  { name: 'prepare worker', hardCancelAfterMs: 20_000 },
);
