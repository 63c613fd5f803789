import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { queryPinecone, syncDataset, syncStatus } from '../../../src/core/sync/index.ts';
import { fastRetry, seedEmbeddedDataset, testConfig, useEmulatorPerTest } from './fixtures.ts';

/**
 * The emulator accepts any non-empty Api-Key, so a fetch in front of it plays a service that
 * refuses the key or fails, and echoes the key back in its error bodies (the worst case).
 */
const KEY = 'pcsk_SECRET_do-not-leak_4242';
const logged: string[] = [];
const env = useEmulatorPerTest();

beforeEach(() => {
  logged.length = 0;
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Answers `status` (echoing the key) for requests whose path matches `when`. */
function failing(status: number, when: RegExp): typeof fetch {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!when.test(new URL(url).pathname)) return fetch(input, init);
    const body = { error: { code: 'X', message: `bad request for key ${KEY}` }, status };
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json', 'X-Echo': KEY },
    });
  };
}

function throwing(): typeof fetch {
  return () => Promise.reject(new TypeError(`connect failed with Api-Key: ${KEY}`));
}

async function everything(run: () => Promise<unknown>): Promise<string> {
  const seen: unknown[] = [];
  try {
    await run();
    seen.push('no error');
  } catch (error) {
    seen.push(
      error instanceof Error ? [error.name, error.message, error.stack, error.cause] : error,
    );
    seen.push(JSON.stringify(error));
  }
  return JSON.stringify(seen);
}

describe('the API key', () => {
  const cases: [string, () => typeof fetch, RegExp][] = [
    ['401 on describe', () => failing(401, /^\/indexes/), /HTTP 401 \(the API key was refused\)/],
    ['400 on upsert', () => failing(400, /upsert$/), /HTTP 400/],
    ['500 on every request', () => failing(500, /./), /HTTP 500.*gave up after 3 attempts/],
    ['a network error', throwing, /network error.*gave up after 3 attempts/],
  ];
  for (const [name, makeFetch, expected] of cases) {
    it(`never appears in errors, progress, counts, logs or the stored record on ${name}`, async () => {
      const seeded = await seedEmbeddedDataset(env.store, { docs: 2, chunksPerDoc: 2 });
      const config = { ...testConfig(env.emulator.url), apiKey: KEY };
      const events: unknown[] = [];
      const outcome = await everything(() =>
        syncDataset(env.store, seeded.datasetId, seeded.setId, config, {
          retry: fastRetry(1, 3),
          fetch: makeFetch(),
          onProgress: (event) => events.push(event),
          onCounts: (counts) => events.push(counts),
          onRetry: (event) => events.push({ ...event, error: event.error.message }),
        }),
      );
      const status = await syncStatus(env.store, seeded.datasetId);
      const job = await env.store.getJob(`sync:${seeded.datasetId}`);
      const all = [outcome, JSON.stringify(events), JSON.stringify(status), JSON.stringify(job)];
      all.push(...logged);
      expect(all.join('\n')).not.toContain(KEY);
      expect(outcome + JSON.stringify(status)).toMatch(expected);
      expect(events.length).toBeGreaterThan(0);
    });
  }

  it('never appears in query errors', async () => {
    const config = { ...testConfig(env.emulator.url), apiKey: KEY, namespace: 'ns' };
    for (const fetchApi of [failing(401, /./), failing(400, /query$/), throwing()]) {
      const outcome = await everything(() =>
        queryPinecone(config, [1, 0], 3, undefined, { fetch: fetchApi, retry: fastRetry(1, 2) }),
      );
      expect(outcome).toMatch(/PineconeSyncError/);
      expect(outcome).not.toContain(KEY);
    }
    expect(logged.join('\n')).not.toContain(KEY);
  });
});
