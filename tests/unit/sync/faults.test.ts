import { Pinecone } from '@pinecone-database/pinecone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LuminaStore } from '../../../src/core/store/index.ts';
import { syncDataset, syncStatus } from '../../../src/core/sync/index.ts';
import { startEmulator, type RunningEmulator } from '../../../tools/pinecone-local/server.ts';
import {
  expectedVector,
  fastRetry,
  listRemoteIds,
  loggingFetch,
  openTestStore,
  seedEmbeddedDataset,
  testConfig,
} from './fixtures.ts';

let emulator: RunningEmulator;
let store: LuminaStore;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  store = await openTestStore();
});
afterAll(async () => {
  store.close();
  await emulator.close();
});

describe('sync under faults', () => {
  it('lands 10,000 vectors exactly once with 20 % of requests failing', async () => {
    const seeded = await seedEmbeddedDataset(store, { docs: 100, chunksPerDoc: 100 });
    expect(seeded.texts.size).toBe(10_000);
    const config = testConfig(emulator.url, 'faults');
    emulator.setFaults({ rate429: 0.07, rate500: 0.05, rate503: 0.04, dropRate: 0.04, seed: 42 });
    const log = loggingFetch();
    let retries = 0;
    const result = await syncDataset(store, seeded.datasetId, seeded.setId, config, {
      retry: fastRetry(3, 16),
      fetch: log.fetch,
      onRetry: () => (retries += 1),
    });
    emulator.setFaults({ rate429: 0, rate500: 0, rate503: 0, dropRate: 0 });

    const answered = log.statuses.length;
    // Faults only: the first describe's 404 (no index yet) is an answer, not a failure.
    const failed =
      log.statuses.filter((s) => s === 429 || s >= 500).length + (log.requests - answered);
    console.info(
      `faults: ${log.requests} requests, ${failed} failed (${((100 * failed) / log.requests).toFixed(1)} %), ` +
        `${retries} retries, ${log.upsertsSent.length} ids sent for 10000 vectors`,
    );
    expect(failed / log.requests).toBeGreaterThan(0.12);
    expect(retries).toBe(failed);
    expect(result.complete).toBe(true);
    expect(result.counts.acked).toBe(10_000);

    // Every vector exactly once, with its values, read back without faults.
    const pc = new Pinecone({ apiKey: 'reader', controllerHostUrl: emulator.url, maxRetries: 0 });
    const index = pc.index({ name: 'faults', namespace: result.namespace });
    const ids = await listRemoteIds(index);
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids)).toEqual(new Set(seeded.texts.keys()));
    const stats = await index.describeIndexStats();
    expect(stats.namespaces?.[result.namespace]?.recordCount).toBe(10_000);
    for (let i = 0; i < ids.length; i += 100) {
      const page = ids.slice(i, i + 100);
      const fetched = await index.fetch({ ids: page });
      for (const id of page) {
        expect(fetched.records[id]?.values).toEqual(
          expectedVector(seeded.texts.get(id) ?? '', seeded.dims),
        );
      }
    }
    expect((await syncStatus(store, seeded.datasetId)).counts).toEqual({
      pending: 0,
      sent: 0,
      acked: 0,
      failed: 0,
    });
  });
});
