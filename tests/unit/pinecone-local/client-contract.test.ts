import { Pinecone } from '@pinecone-database/pinecone';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../tools/pinecone-local/server.ts';
import { responseValidator } from './spec-schemas.ts';

/** The official client (8.2.0, API 2026-04) against the emulator, with its retries off. */
let emulator: RunningEmulator;
let pc: Pinecone;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  pc = new Pinecone({ apiKey: 'local-key', controllerHostUrl: emulator.url, maxRetries: 0 });
});
afterAll(() => emulator.close());

describe('official client contract', () => {
  it('runs the index lifecycle and the data operations the app uses', async () => {
    const model = await pc.createIndex({
      name: 'contract',
      dimension: 3,
      metric: 'cosine',
      spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
      waitUntilReady: true,
    });
    expect(model?.host).toBe(`${emulator.url}/data/contract`);
    expect((await pc.listIndexes()).indexes?.map((i) => i.name)).toEqual(['contract']);
    const described = await pc.describeIndex('contract');
    expect(described).toMatchObject({ dimension: 3, metric: 'cosine', status: { ready: true } });

    const index = pc.index<{ genre: string; year: number }>({ name: 'contract' }).namespace('docs');
    await index.upsert({
      records: [
        { id: 'doc#1', values: [1, 0, 0], metadata: { genre: 'drama', year: 2019 } },
        { id: 'doc#2', values: [0.8, 0.6, 0], metadata: { genre: 'comedy', year: 2021 } },
        { id: 'doc#3', values: [0, 0, 1], metadata: { genre: 'drama', year: 2023 } },
        { id: 'other', values: [0.2, 1, 0], metadata: { genre: 'news', year: 2020 } },
      ],
    });

    const all = await index.query({ vector: [1, 0, 0], topK: 3, includeMetadata: true });
    expect(all.matches.map((m) => m.id)).toEqual(['doc#1', 'doc#2', 'other']);
    expect(all.matches[1]?.score).toBeCloseTo(0.8, 6);
    expect(all.matches[0]?.metadata).toEqual({ genre: 'drama', year: 2019 });

    const filtered = await index.query({
      vector: [1, 0, 0],
      topK: 10,
      filter: { $or: [{ genre: { $eq: 'comedy' } }, { year: { $gte: 2023 } }] },
      includeValues: true,
    });
    expect(filtered.matches.map((m) => m.id)).toEqual(['doc#2', 'doc#3']);
    expect(filtered.matches[0]?.values).toEqual([0.8, 0.6, 0]);

    const byId = await index.query({
      id: 'doc#1',
      topK: 1,
      filter: { genre: { $nin: ['drama'] } },
    });
    expect(byId.matches.map((m) => m.id)).toEqual(['doc#2']);

    const fetched = await index.fetch({ ids: ['doc#1', 'missing'] });
    expect(Object.keys(fetched.records)).toEqual(['doc#1']);
    expect(fetched.records['doc#1']?.values).toEqual([1, 0, 0]);

    const page1 = await index.listPaginated({ prefix: 'doc#', limit: 2 });
    expect(page1.vectors?.map((v) => v.id)).toEqual(['doc#1', 'doc#2']);
    const page2 = await index.listPaginated({
      prefix: 'doc#',
      limit: 2,
      paginationToken: page1.pagination?.next,
    });
    expect(page2.vectors?.map((v) => v.id)).toEqual(['doc#3']);
    expect(page2.pagination).toBeUndefined();

    await index.update({ id: 'doc#3', metadata: { genre: 'thriller' } });
    expect((await index.fetch({ ids: ['doc#3'] })).records['doc#3']?.metadata).toEqual({
      genre: 'thriller',
      year: 2023,
    });

    await index.deleteOne({ id: 'other' });
    await index.deleteMany({ filter: { genre: { $eq: 'comedy' } } });
    const stats = await index.describeIndexStats();
    expect(stats.namespaces).toEqual({ docs: { recordCount: 2 } });
    expect(stats.totalRecordCount).toBe(2);

    await index.deleteAll();
    expect((await index.describeIndexStats()).totalRecordCount).toBe(0);

    await pc.deleteIndex('contract');
    expect((await pc.listIndexes()).indexes).toEqual([]);
  });

  it('surfaces emulator errors as the client error types', async () => {
    await expect(pc.describeIndex('absent')).rejects.toMatchObject({
      name: 'PineconeNotFoundError',
    });
    await pc.createIndex({
      name: 'errors',
      dimension: 2,
      spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
    });
    const index = pc.index({ name: 'errors' });
    await expect(index.upsert({ records: [{ id: 'x', values: [1, 2, 3] }] })).rejects.toMatchObject(
      {
        name: 'PineconeBadRequestError',
        message: expect.stringMatching(/dimension 3 does not match/) as unknown,
      },
    );
    emulator.setFaults({ rate503: 1 });
    try {
      // With retries off the client gives up after its single attempt.
      await expect(index.query({ vector: [1, 0], topK: 1 })).rejects.toMatchObject({
        name: 'PineconeMaxRetriesExceededError',
      });
      emulator.setFaults({ rate503: 0, rate429: 1 });
      await expect(index.query({ vector: [1, 0], topK: 1 })).rejects.toMatchObject({
        // Client 8.2.0 has no dedicated 429 error class.
        name: 'PineconeUnmappedHttpError',
        message: expect.stringContaining('429') as unknown,
      });
    } finally {
      emulator.setFaults({ rate503: 0, rate429: 0 });
    }
  });

  it('the spec validators reject bodies that break the schemas', () => {
    const describe = responseValidator('control', 'describe_index', 200);
    expect(describe({ name: 'x', metric: 'cosine', status: { ready: true, state: 'Ready' } })).toBe(
      false,
    );
    const error = responseValidator('data', 'queryVectors', 400);
    expect(error({ code: 'three', message: 'x' })).toBe(false);
    const query = responseValidator('data', 'queryVectors', 200);
    expect(query({ matches: [{ score: 1 }] })).toBe(false);
  });
});
