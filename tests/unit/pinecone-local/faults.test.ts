import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FaultInjector, NO_FAULTS, mergeFaults } from '../../../tools/pinecone-local/faults.ts';
import { startEmulator, type RunningEmulator } from '../../../tools/pinecone-local/server.ts';
import { IndexData } from '../../../tools/pinecone-local/store.ts';
import { assertMatchesSpec } from './spec-schemas.ts';

let emulator: RunningEmulator;
const HEADERS = { 'Api-Key': 'local', 'Content-Type': 'application/json' };

const post = (path: string, body: unknown): Promise<Response> =>
  fetch(`${emulator.url}${path}`, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });

const setFaults = async (patch: object): Promise<Response> =>
  fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', body: JSON.stringify(patch) });

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
  await post('/indexes', {
    name: 'f',
    dimension: 2,
    spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
  });
});

describe('fault injector', () => {
  it('fails the configured fraction of requests, reproducibly for a seed', () => {
    const config = mergeFaults(NO_FAULTS, {
      rate429: 0.2,
      rate500: 0.1,
      rate503: 0.1,
      dropRate: 0.1,
      seed: 7,
    });
    const run = (): string[] => {
      const injector = new FaultInjector(config);
      return Array.from({ length: 4000 }, () => String(injector.decide()));
    };
    const first = run();
    expect(run()).toEqual(first);
    const share = (kind: string): number => first.filter((d) => d === kind).length / first.length;
    expect(share('429')).toBeCloseTo(0.2, 1);
    expect(share('500')).toBeCloseTo(0.1, 1);
    expect(share('503')).toBeCloseTo(0.1, 1);
    expect(share('drop')).toBeCloseTo(0.1, 1);
    expect(share('null')).toBeCloseTo(0.5, 1);
  });

  it('rejects unknown switches and impossible rates', () => {
    expect(() => mergeFaults(NO_FAULTS, { rate418: 1 })).toThrow(/unknown fault switch/);
    expect(() => mergeFaults(NO_FAULTS, { rate429: 1.5 })).toThrow(/fraction/);
    expect(() => mergeFaults(NO_FAULTS, { rate429: 0.6, rate500: 0.6 })).toThrow(/more than 1/);
  });
});

describe('eventual consistency', () => {
  it('applies writes in order, each no earlier than its lag', () => {
    let clock = 1000;
    const index = new IndexData(2, 'cosine', () => clock);
    const ids = (): string[] => [...(index.visible().get('')?.keys() ?? [])];
    index.write(100, () => index.namespace('').set('a', { id: 'a', values: [1, 0] }));
    // A later write without lag still waits for the earlier one.
    index.write(0, () => index.namespace('').delete('a'));
    index.write(0, () => index.namespace('').set('b', { id: 'b', values: [0, 1] }));
    expect(ids()).toEqual([]);
    clock = 1099;
    expect(ids()).toEqual([]);
    clock = 1100;
    expect(ids()).toEqual(['b']);
    index.write(0, () => index.namespace('').set('c', { id: 'c', values: [0, 1] }));
    expect(ids()).toEqual(['b', 'c']);
  });
});

describe('fault switches over HTTP', () => {
  it('answers 429, 500 and 503 with each plane’s error body', async () => {
    for (const [status, grpc, code] of [
      [429, 8, 'RESOURCE_EXHAUSTED'],
      [500, 2, 'UNKNOWN'],
      [503, 14, 'UNAVAILABLE'],
    ] as const) {
      expect(
        (await setFaults({ rate429: 0, rate500: 0, rate503: 0, [`rate${status}`]: 1 })).status,
      ).toBe(200);
      const data = await post('/data/f/query', { vector: [1, 0], topK: 1 });
      expect(data.status).toBe(status);
      const dataBody: unknown = await data.json();
      expect(dataBody).toMatchObject({ code: grpc });
      assertMatchesSpec('data', 'queryVectors', status, dataBody);
      const control = await fetch(`${emulator.url}/indexes`, { headers: HEADERS });
      expect(control.status).toBe(status);
      expect(await control.json()).toMatchObject({ error: { code }, status });
    }
  });

  it('drops connections without an answer', async () => {
    await setFaults({ dropRate: 1 });
    await expect(post('/data/f/query', { vector: [1, 0], topK: 1 })).rejects.toThrow(TypeError);
  });

  it('adds latency', async () => {
    await setFaults({ latencyMs: 150 });
    const started = performance.now();
    const response = await post('/data/f/query', { vector: [1, 0], topK: 1 });
    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('makes writes visible only after the consistency lag', async () => {
    await setFaults({ consistencyLagMs: 300 });
    await post('/data/f/vectors/upsert', { vectors: [{ id: 'late', values: [1, 0] }] });
    const count = async (): Promise<unknown> =>
      (
        (await (await post('/data/f/describe_index_stats', {})).json()) as {
          totalVectorCount: number;
        }
      ).totalVectorCount;
    const query = async (): Promise<number> =>
      (
        (await (await post('/data/f/query', { vector: [1, 0], topK: 5 })).json()) as {
          matches: unknown[];
        }
      ).matches.length;
    expect(await count()).toBe(0);
    expect(await query()).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await count()).toBe(1);
    expect(await query()).toBe(1);
  });

  it('reports and validates the switches on the admin endpoint', async () => {
    const bad = await setFaults({ rate429: 2 });
    expect(bad.status).toBe(400);
    const good = await setFaults({ latencyMs: 5, seed: 42 });
    expect(await good.json()).toEqual({ ...NO_FAULTS, latencyMs: 5, seed: 42 });
    expect(await (await fetch(`${emulator.url}/_emulator/faults`)).json()).toEqual(
      emulator.faults(),
    );
  });
});
