import { Pinecone } from '@pinecone-database/pinecone';
import { describe, expect, it } from 'vitest';
import type { Progress } from '../../../src/core/progress.ts';
import {
  defaultNamespace,
  discardSync,
  queryPinecone,
  resumeSync,
  syncDataset,
  syncStatus,
} from '../../../src/core/sync/index.ts';
import {
  expectedVector,
  fastRetry,
  listRemoteIds,
  loggingFetch,
  seedEmbeddedDataset,
  useEmulatorPerTest,
  type SeededSet,
} from './fixtures.ts';

const env = useEmulatorPerTest();

/** Every id in a namespace with its values, read with the official client. */
async function remoteVectors(namespace: string): Promise<Map<string, number[]>> {
  const pc = new Pinecone({ apiKey: 'reader', controllerHostUrl: env.emulator.url, maxRetries: 0 });
  const index = pc.index({ name: env.config.indexName, namespace });
  const ids = await listRemoteIds(index);
  const out = new Map<string, number[]>();
  for (let i = 0; i < ids.length; i += 100) {
    const fetched = await index.fetch({ ids: ids.slice(i, i + 100) });
    for (const [id, record] of Object.entries(fetched.records)) out.set(id, record.values ?? []);
  }
  expect(out.size).toBe(ids.length);
  return out;
}

function expectedVectors(seeded: SeededSet, without: (id: string) => boolean = () => false) {
  const out = new Map<string, number[]>();
  for (const [id, text] of seeded.texts) {
    if (!without(id)) out.set(id, expectedVector(text, seeded.dims));
  }
  return out;
}

describe('syncDataset against the emulator', () => {
  it('creates the index, upserts every chunk with metadata, verifies, and empties the outbox', async () => {
    const seeded = await seedEmbeddedDataset(env.store, {
      docs: 30,
      chunksPerDoc: 4,
      metadata: (d) => ({ author: `a${d}`, year: 2000 + d, tags: ['t'], extra: { d } }),
    });
    const events: Progress[] = [];
    const result = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
      onProgress: (event) => events.push(event),
    });
    expect(result.complete).toBe(true);
    expect(result.planned).toEqual({ upserts: 120, deletes: 0 });
    expect(result.counts.acked).toBe(120);
    expect(result.verification).toMatchObject({ ok: true, listed: 120, missingCount: 0 });
    expect(result.verification?.valuesChecked).toBe(100);
    expect(result.namespace).toBe(defaultNamespace(seeded.datasetId));

    const pc = new Pinecone({ apiKey: 'x', controllerHostUrl: env.emulator.url, maxRetries: 0 });
    expect(await pc.describeIndex(env.config.indexName)).toMatchObject({
      dimension: 8,
      metric: 'cosine',
    });
    const remote = await remoteVectors(result.namespace);
    const expected = expectedVectors(seeded);
    expect([...remote.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, values] of expected) expect(remote.get(id)).toEqual(values);

    const fetched = await pc
      .index({ name: env.config.indexName, namespace: result.namespace })
      .fetch({ ids: ['doc-00003#2'] });
    expect(fetched.records['doc-00003#2']?.metadata).toEqual({
      source: 'doc-00003.txt',
      doc_id: 'doc-00003',
      chunk_index: 2,
      text: 'doc 3 chunk 2 text',
      author: 'a3',
      year: 2003,
      tags: ['t'],
      extra: '{"d":3}',
    });

    const status = await syncStatus(env.store, seeded.datasetId);
    expect(status.counts).toEqual({ pending: 0, sent: 0, acked: 0, failed: 0 });
    expect(status.resumable).toBe(false);
    expect(status.last?.phase).toBe('done');
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
    const fractions = events.map((e) => e.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));

    const matches = await queryPinecone(
      env.config,
      expectedVector('doc 5 chunk 1 text', 8),
      3,
      {
        doc_id: { $eq: 'doc-00005' },
      },
      { datasetId: seeded.datasetId },
    );
    expect(matches[0]?.id).toBe('doc-00005#1');
    expect(matches[0]?.score).toBeCloseTo(1, 5);
    expect(matches.every((m) => m.metadata['doc_id'] === 'doc-00005')).toBe(true);
  });

  it('resumes an interrupted sync, sending only what was not acknowledged', async () => {
    const seeded = await seedEmbeddedDataset(env.store, { docs: 50, chunksPerDoc: 70 }); // 3500
    const controller = new AbortController();
    const first = loggingFetch();
    let upsertAnswers = 0;
    // The third upsert reaches the server, but the tab "closes" before its answer is read:
    // its ids are left 'sent' with an unknown outcome.
    const closingTab: typeof fetch = async (input, init) => {
      const response = await first.fetch(input, init);
      const url = input instanceof Request ? input.url : String(input);
      if (url.endsWith('/vectors/upsert') && response.ok && ++upsertAnswers === 3) {
        controller.abort();
      }
      return response;
    };
    await expect(
      syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
        retry: fastRetry(),
        fetch: closingTab,
        signal: controller.signal,
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const after = await syncStatus(env.store, seeded.datasetId);
    expect(after.resumable).toBe(true);
    expect(after.counts).toEqual({ pending: 500, sent: 1000, acked: 2000, failed: 0 });
    const notAcked = [
      ...(await env.store.outboxEntries(seeded.datasetId, 'pending')),
      ...(await env.store.outboxEntries(seeded.datasetId, 'sent')),
    ].map((e) => e.vectorId);
    const acked = (await env.store.outboxEntries(seeded.datasetId, 'acked')).map((e) => e.vectorId);
    expect(new Set(first.upserted).size).toBe(3000);

    // Another target is refused while the sync waits.
    await expect(
      syncDataset(env.store, seeded.datasetId, seeded.setId, { ...env.config, indexName: 'other' }),
    ).rejects.toThrow(/unfinished sync/);

    const second = loggingFetch();
    const result = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
      fetch: second.fetch,
    });
    expect(result.resumed).toBe(true);
    expect(result.complete).toBe(true);
    expect([...second.upsertsSent].sort()).toEqual([...notAcked].sort());
    expect(second.upsertsSent.filter((id) => acked.includes(id))).toEqual([]);

    const remote = await remoteVectors(result.namespace);
    expect(remote.size).toBe(3500);
    const expected = expectedVectors(seeded);
    for (const [id, values] of expected) expect(remote.get(id)).toEqual(values);
    expect((await syncStatus(env.store, seeded.datasetId)).counts).toEqual({
      pending: 0,
      sent: 0,
      acked: 0,
      failed: 0,
    });
  });

  it('resumeSync continues with the recorded set and target', async () => {
    const seeded = await seedEmbeddedDataset(env.store, { docs: 3, chunksPerDoc: 2 });
    const controller = new AbortController();
    await expect(
      syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
        retry: fastRetry(),
        signal: controller.signal,
        onCounts: (counts) => {
          if (counts.sent > 0) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect((await syncStatus(env.store, seeded.datasetId)).counts.sent).toBe(6);
    const result = await resumeSync(env.store, seeded.datasetId, env.config, {
      retry: fastRetry(),
    });
    expect(result).toMatchObject({ resumed: true, complete: true, setId: seeded.setId });
    expect((await remoteVectors(result.namespace)).size).toBe(6);
    await expect(resumeSync(env.store, seeded.datasetId, env.config)).rejects.toThrow(
      /no unfinished/,
    );
  });

  it('discards an unfinished sync so another target can be chosen', async () => {
    const seeded = await seedEmbeddedDataset(env.store, { docs: 2, chunksPerDoc: 2 });
    const controller = new AbortController();
    await expect(
      syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
        retry: fastRetry(),
        signal: controller.signal,
        onCounts: () => controller.abort(),
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect((await syncStatus(env.store, seeded.datasetId)).resumable).toBe(true);
    await discardSync(env.store, seeded.datasetId);
    const status = await syncStatus(env.store, seeded.datasetId);
    expect(status).toMatchObject({ resumable: false, last: { phase: 'discarded' } });
    expect(status.counts).toEqual({ pending: 0, sent: 0, acked: 0, failed: 0 });
    const other = await syncDataset(
      env.store,
      seeded.datasetId,
      seeded.setId,
      { ...env.config, indexName: 'other-index' },
      { retry: fastRetry() },
    );
    expect(other).toMatchObject({ complete: true, resumed: false, indexName: 'other-index' });
  });

  it('deletes from Pinecone the vectors of a document deleted locally', async () => {
    const seeded = await seedEmbeddedDataset(env.store, { docs: 6, chunksPerDoc: 3 });
    await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
    });
    const removed = 'doc-00002';
    await env.store.deleteFileDocuments(seeded.datasetId, seeded.fileOf.get(removed) ?? '');

    const log = loggingFetch();
    const result = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
      fetch: log.fetch,
    });
    expect(result.complete).toBe(true);
    // The other documents did not change since the verified sync: only the deletes go out.
    expect(result.planned).toEqual({ upserts: 0, deletes: 3 });
    expect(result.unchanged).toBe(15);
    expect(log.upsertsSent).toEqual([]);
    expect(log.deleted.sort()).toEqual([`${removed}#0`, `${removed}#1`, `${removed}#2`]);
    const remote = await remoteVectors(result.namespace);
    expect([...remote.keys()].sort()).toEqual(
      [...expectedVectors(seeded, (id) => id.startsWith(`${removed}#`)).keys()].sort(),
    );
  });

  it('turns a queued upsert into a delete when its document goes between plan and send', async () => {
    const seeded = await seedEmbeddedDataset(env.store, { docs: 4, chunksPerDoc: 2 });
    const removed = 'doc-00001';
    const log = loggingFetch();
    let deleting: Promise<number> | undefined;
    const result = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
      fetch: async (input, init) => {
        // The first upsert waits until the document is gone; by then its batch is built.
        if (String(input).endsWith('/vectors/upsert')) await deleting;
        return log.fetch(input, init);
      },
      onProgress: (event) => {
        if (event.message.endsWith('0 deletes') && !deleting) {
          deleting = env.store.deleteFileDocuments(
            seeded.datasetId,
            seeded.fileOf.get(removed) ?? '',
          );
        }
      },
    });
    expect(result.complete).toBe(true);
    expect(log.upserted.filter((id) => id.startsWith(removed))).toEqual([]);
    expect(log.deleted.sort()).toEqual([`${removed}#0`, `${removed}#1`]);
    const remote = await remoteVectors(result.namespace);
    expect(remote.size).toBe(6);
  });

  it('verifies through an eventual-consistency lag by polling', async () => {
    const seeded = await seedEmbeddedDataset(env.store, { docs: 5, chunksPerDoc: 2 });
    env.emulator.setFaults({ consistencyLagMs: 150 });
    const result = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
      verifyDelayMs: 40,
      verifyPolls: 20,
    });
    expect(result.complete).toBe(true);
    expect(result.verification?.polls).toBeGreaterThan(1);
  });

  it('reports what is missing when writes never become visible within the polls', async () => {
    const seeded = await seedEmbeddedDataset(env.store, { docs: 2, chunksPerDoc: 2 });
    env.emulator.setFaults({ consistencyLagMs: 60_000 });
    const result = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
      verifyDelayMs: 1,
      verifyPolls: 3,
    });
    expect(result.complete).toBe(false);
    expect(result.verification).toMatchObject({ ok: false, missingCount: 4, polls: 3 });
    const status = await syncStatus(env.store, seeded.datasetId);
    expect(status.counts.pending).toBe(4);
    expect(status.resumable).toBe(true);
    expect(status.last?.error).toMatch(/4 upserted vectors not visible/);
  });

  it('refuses an existing index whose dimension differs', async () => {
    const pc = new Pinecone({ apiKey: 'x', controllerHostUrl: env.emulator.url, maxRetries: 0 });
    await pc.createIndex({
      name: env.config.indexName,
      dimension: 3,
      metric: 'cosine',
      spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
    });
    const seeded = await seedEmbeddedDataset(env.store, { docs: 1, chunksPerDoc: 1 });
    await expect(
      syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, { retry: fastRetry() }),
    ).rejects.toThrow(/dimension 3 and metric cosine, but this embedding set needs dimension 8/);
    // A refused target leaves nothing to resume: another index can be chosen.
    expect((await syncStatus(env.store, seeded.datasetId)).resumable).toBe(false);
    const ok = await syncDataset(
      env.store,
      seeded.datasetId,
      seeded.setId,
      { ...env.config, indexName: 'another' },
      { retry: fastRetry() },
    );
    expect(ok.complete).toBe(true);
  });

  it('skips a chunk whose id is too long, naming the document, and sends the rest', async () => {
    const seeded = await seedEmbeddedDataset(env.store, { docs: 2, chunksPerDoc: 2 });
    const longId = 'L'.repeat(600);
    await env.store.addDocuments(seeded.datasetId, 'long', [
      { id: longId, source: 'long.txt', text: 'long', metadata: {} },
    ]);
    await env.store.putChunkBatch(seeded.datasetId, [
      { docId: longId, chunks: [{ index: 0, text: 'x', charStart: 0, charEnd: 1, tokenCount: 1 }] },
    ]);
    const { embedDataset } = await import('../../../src/core/embed/job/index.ts');
    const { fakeRunner } = await import('../embed/job/fixtures.ts');
    await env.store.deleteEmbeddingSet(seeded.datasetId, seeded.setId);
    await env.store.deleteJob(`embed:${JSON.stringify([seeded.datasetId, seeded.setId])}`);
    await embedDataset(env.store, seeded.datasetId, fakeRunner({ dims: 8 }), {
      setId: seeded.setId,
      tokenBudget: 8192,
      maxTokens: 64,
    });
    const result = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
    });
    expect(result.complete).toBe(true);
    expect(result.planned.upserts).toBe(4);
    expect(result.skippedCount).toBe(1);
    expect(result.skipped[0]?.reason).toMatch(/document "L{60}…" has an id too long.*602 bytes/);
  });
});
