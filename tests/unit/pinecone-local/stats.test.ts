import { Pinecone } from '@pinecone-database/pinecone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../tools/pinecone-local/server.ts';
import type { EmulatorStats } from '../../../tools/pinecone-local/stats.ts';

let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

const readStats = async (): Promise<EmulatorStats> =>
  (await fetch(`${emulator.url}/_emulator/stats`)).json() as Promise<EmulatorStats>;

describe('GET /_emulator/stats', () => {
  it('counts requests per operation and key, faults, and applied upserted and deleted ids', async () => {
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    const pc = new Pinecone({ apiKey: 'key-a', controllerHostUrl: emulator.url, maxRetries: 0 });
    await pc.createIndex({
      name: 'stats',
      dimension: 2,
      metric: 'cosine',
      spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
      waitUntilReady: true,
    });
    const index = pc.index({ name: 'stats', namespace: 'n' });
    await index.upsert({
      records: [
        { id: 'a', values: [1, 0] },
        { id: 'b', values: [0, 1] },
        { id: 'c', values: [1, 1] },
      ],
    });
    await index.deleteMany({ ids: ['a', 'b'] });
    // Every request of the next one fails with 503: counted as a fault, no ids applied.
    emulator.setFaults({ rate503: 1 });
    await expect(index.upsert({ records: [{ id: 'd', values: [1, 0] }] })).rejects.toThrow();
    emulator.setFaults({ rate503: 0 });

    const stats = await readStats();
    expect(stats.upsertedIds).toBe(3);
    expect(stats.deletedIds).toBe(2);
    expect(stats.faults).toEqual({ '503': 1 });
    expect(stats.byOperation['POST /vectors/upsert']).toBe(2);
    expect(stats.byOperation['POST /vectors/delete']).toBe(1);
    expect(stats.byOperation['POST /indexes']).toBe(1);
    expect(stats.requestsPerKey['key-a']).toBe(stats.requests);
    expect(emulator.stats()).toEqual(stats);

    await fetch(`${emulator.url}/_emulator/stats/reset`, { method: 'POST' });
    expect(await readStats()).toMatchObject({ requests: 0, upsertedIds: 0, requestsPerKey: {} });
  });
});
