import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../tools/pinecone-local/server.ts';
import { assertMatchesSpec } from './spec-schemas.ts';

let emulator: RunningEmulator;
const HEADERS = {
  'Api-Key': 'local',
  'X-Pinecone-Api-Version': '2026-04',
  'Content-Type': 'application/json',
};

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${emulator.url}${path}`, {
    method,
    headers: HEADERS,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

const DIM = 4;
const vec = (...values: number[]): number[] => values;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
  const created = await call('POST', '/indexes', {
    name: 'movies',
    dimension: DIM,
    metric: 'cosine',
    spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
  });
  expect(created.status).toBe(201);
  assertMatchesSpec('control', 'create_index', 201, created.json);
});

describe('control plane', () => {
  it('describes, lists, configures and deletes, in the spec shapes', async () => {
    const described = await call('GET', '/indexes/movies');
    assertMatchesSpec('control', 'describe_index', 200, described.json);
    expect(described.json).toMatchObject({
      name: 'movies',
      dimension: DIM,
      metric: 'cosine',
      host: `${emulator.url}/data/movies`,
      status: { ready: true, state: 'Ready' },
    });
    const listed = await call('GET', '/indexes');
    assertMatchesSpec('control', 'list_indexes', 200, listed.json);
    expect((listed.json as { indexes: unknown[] }).indexes).toHaveLength(1);

    const configured = await call('PATCH', '/indexes/movies', {
      deletion_protection: 'enabled',
      tags: { team: 'lumina' },
    });
    expect(configured.status).toBe(202);
    assertMatchesSpec('control', 'configure_index', 202, configured.json);
    const refused = await call('DELETE', '/indexes/movies');
    expect(refused.status).toBe(403);
    assertMatchesSpec('control', 'delete_index', 403, refused.json);
    await call('PATCH', '/indexes/movies', { deletion_protection: 'disabled' });
    expect((await call('DELETE', '/indexes/movies')).status).toBe(202);
    const gone = await call('GET', '/indexes/movies');
    expect(gone).toEqual({
      status: 404,
      json: { error: { code: 'NOT_FOUND', message: 'Index movies not found.' }, status: 404 },
    });
    assertMatchesSpec('control', 'describe_index', 404, gone.json);
  });

  it('answers create errors with the spec statuses and ErrorResponse bodies', async () => {
    const spec = { serverless: { cloud: 'aws', region: 'us-east-1' } };
    const cases: [unknown, number, string][] = [
      [{ name: 'movies', dimension: 4, spec }, 409, 'ALREADY_EXISTS'],
      [{ name: 'Bad_Name', dimension: 4, spec }, 400, 'INVALID_ARGUMENT'],
      [{ name: 'x', dimension: 20_001, spec }, 400, 'INVALID_ARGUMENT'],
      [{ name: 'x', dimension: 4, metric: 'manhattan', spec }, 400, 'INVALID_ARGUMENT'],
      [{ dimension: 4, spec }, 422, 'UNPROCESSABLE_ENTITY'],
      [
        { name: 'x', dimension: 4, spec: { serverless: { cloud: 'ibm', region: 'r' } } },
        404,
        'NOT_FOUND',
      ],
    ];
    for (const [body, status, code] of cases) {
      const reply = await call('POST', '/indexes', body);
      expect(reply.status, JSON.stringify(body)).toBe(status);
      expect(reply.json).toMatchObject({ error: { code }, status });
      assertMatchesSpec('control', 'create_index', status, reply.json);
    }
  });

  it('requires an API key', async () => {
    const response = await fetch(`${emulator.url}/indexes`);
    expect(response.status).toBe(401);
    const body: unknown = await response.json();
    assertMatchesSpec('control', 'list_indexes', 401, body);
  });
});

describe('data plane', () => {
  const base = '/data/movies';

  it('upserts, queries by vector and id, fetches, lists, updates and deletes', async () => {
    const up = await call('POST', `${base}/vectors/upsert`, {
      namespace: 'n1',
      vectors: [
        { id: 'a', values: vec(1, 0, 0, 0), metadata: { genre: 'drama', year: 2019 } },
        { id: 'b', values: vec(0.9, 0.1, 0, 0), metadata: { genre: 'comedy', year: 2021 } },
        { id: 'c', values: vec(0, 1, 0, 0), metadata: { genre: 'drama', year: 2021 } },
      ],
    });
    expect(up).toEqual({ status: 200, json: { upsertedCount: 3 } });
    assertMatchesSpec('data', 'upsertVectors', 200, up.json);

    const q = await call('POST', `${base}/query`, {
      namespace: 'n1',
      vector: vec(1, 0, 0, 0),
      topK: 2,
      includeMetadata: true,
    });
    assertMatchesSpec('data', 'queryVectors', 200, q.json);
    const matches = (q.json as { matches: { id: string; score: number; metadata: object }[] })
      .matches;
    expect(matches.map((m) => m.id)).toEqual(['a', 'b']);
    expect(matches[0]?.score).toBeCloseTo(1, 6);
    expect(matches[1]?.score).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 6);
    expect(matches[1]?.metadata).toEqual({ genre: 'comedy', year: 2021 });

    const byId = await call('POST', `${base}/query`, {
      namespace: 'n1',
      id: 'c',
      topK: 5,
      filter: { genre: 'drama' },
    });
    expect((byId.json as { matches: { id: string }[] }).matches.map((m) => m.id)).toEqual([
      'c',
      'a',
    ]);

    const fetched = await call('GET', `${base}/vectors/fetch?ids=a&ids=zz&namespace=n1`);
    assertMatchesSpec('data', 'fetchVectors', 200, fetched.json);
    expect(Object.keys((fetched.json as { vectors: object }).vectors)).toEqual(['a']);

    const page1 = await call('GET', `${base}/vectors/list?namespace=n1&limit=2`);
    assertMatchesSpec('data', 'listVectors', 200, page1.json);
    const p1 = page1.json as { vectors: { id: string }[]; pagination?: { next: string } };
    expect(p1.vectors).toEqual([{ id: 'a' }, { id: 'b' }]);
    const page2 = await call(
      'GET',
      `${base}/vectors/list?namespace=n1&limit=2&paginationToken=${p1.pagination?.next ?? ''}`,
    );
    expect(page2.json).toMatchObject({ vectors: [{ id: 'c' }] });
    expect(page2.json).not.toHaveProperty('pagination');

    const upd = await call('POST', `${base}/vectors/update`, {
      namespace: 'n1',
      filter: { year: 2021 },
      setMetadata: { seen: true },
    });
    expect(upd.json).toEqual({ matchedRecords: 2 });
    assertMatchesSpec('data', 'updateVector', 200, upd.json);

    const del = await call('POST', `${base}/vectors/delete`, {
      namespace: 'n1',
      filter: { seen: true },
    });
    assertMatchesSpec('data', 'deleteVectors', 200, del.json);
    const stats = await call('POST', `${base}/describe_index_stats`, {});
    assertMatchesSpec('data', 'describeIndexStats', 200, stats.json);
    expect(stats.json).toMatchObject({
      namespaces: { n1: { vectorCount: 1 } },
      totalVectorCount: 1,
      dimension: DIM,
    });
  });

  it('ranks by dot product and squared euclidean distance per index metric', async () => {
    for (const metric of ['dotproduct', 'euclidean']) {
      await call('POST', '/indexes', {
        name: metric,
        dimension: 2,
        metric,
        spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
      });
      await call('POST', `/data/${metric}/vectors/upsert`, {
        vectors: [
          { id: 'far-big', values: [10, 10] },
          { id: 'near', values: [1, 1.5] },
        ],
      });
      const q = await call('POST', `/data/${metric}/query`, { vector: [1, 1], topK: 2 });
      const matches = (q.json as { matches: { id: string; score: number }[] }).matches;
      if (metric === 'dotproduct') {
        expect(matches).toEqual([
          { id: 'far-big', score: 20, values: [] },
          { id: 'near', score: 2.5, values: [] },
        ]);
      } else {
        expect(matches.map((m) => [m.id, m.score])).toEqual([
          ['near', 0.25],
          ['far-big', 162],
        ]);
      }
    }
  });

  it('enforces the limits with rpcStatus bodies', async () => {
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({
      id: `v${i}`,
      values: vec(1, 0, 0, 0),
    }));
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/vectors/upsert', { vectors: tooMany }, /exceeds the limit of 1000 vectors/],
      [
        'POST',
        '/vectors/upsert',
        { vectors: [{ id: 'x', values: [1, 2, 3] }] },
        /dimension 3 does not match .* 4/,
      ],
      [
        'POST',
        '/vectors/upsert',
        { vectors: [{ id: 'x'.repeat(513), values: vec(1, 0, 0, 0) }] },
        /at most 512/,
      ],
      [
        'POST',
        '/vectors/upsert',
        { vectors: [{ id: 'x', values: vec(1, 0, 0, 0), metadata: { blob: 'x'.repeat(41_000) } }] },
        /exceeds the limit of 40960 bytes/,
      ],
      [
        'POST',
        '/vectors/upsert',
        { vectors: [{ id: 'x', values: vec(1, 0, 0, 0), metadata: { o: { a: 1 } } }] },
        /list of strings/,
      ],
      ['POST', '/query', { vector: vec(1, 0, 0, 0), topK: 10_001 }, /topK/],
      [
        'POST',
        '/query',
        { vector: vec(1, 0, 0, 0), id: 'a', topK: 1 },
        /Exactly one of vector or id/,
      ],
      [
        'POST',
        '/query',
        { vector: vec(1, 0, 0, 0), topK: 1, filter: { g: { $like: 'x' } } },
        /Invalid filter/,
      ],
      ['POST', '/vectors/delete', { ids: ['a'], deleteAll: true }, /Exactly one of/],
      ['POST', '/describe_index_stats', { filter: { a: 1 } }, /do not support/],
      ['GET', '/vectors/list?limit=101', undefined, /limit/],
      ['POST', '/query', '{not json', /parse/],
    ];
    for (const [method, path, body, message] of cases) {
      const reply = await call(method, `${base}${path}`, body);
      expect(reply.status, path).toBe(400);
      expect(reply.json).toMatchObject({ code: 3, details: [] });
      expect((reply.json as { message: string }).message).toMatch(message);
      assertMatchesSpec('data', 'queryVectors', 400, reply.json);
    }
    const big = {
      vectors: Array.from({ length: 600 }, (_, i) => ({
        id: `v${i}`,
        values: vec(1, 0, 0, 0),
        metadata: { t: 'x'.repeat(4000) },
      })),
    };
    const tooLarge = await call('POST', `${base}/vectors/upsert`, big);
    expect(tooLarge.status).toBe(400);
    expect((tooLarge.json as { message: string }).message).toMatch(
      /exceeds the maximum supported size of 2MB/,
    );
    const missing = await call('POST', '/data/nope/query', { vector: vec(1, 0, 0, 0), topK: 1 });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 5 });
    assertMatchesSpec('data', 'queryVectors', 404, missing.json);
  });
});
