import { Pinecone } from '@pinecone-database/pinecone';
import { describe, expect, it } from 'vitest';
import {
  discardSync,
  readSyncedState,
  recordFingerprint,
  syncDataset,
} from '../../../src/core/sync/index.ts';
import { fastRetry, loggingFetch, seedEmbeddedDataset, useEmulatorPerTest } from './fixtures.ts';

const env = useEmulatorPerTest();

describe('incremental sync', () => {
  it('fingerprints change with values and metadata only', () => {
    const base = { values: [0.5, -1], metadata: { text: 'a', doc_id: 'd' } };
    expect(recordFingerprint(base)).toBe(recordFingerprint({ ...base }));
    expect(recordFingerprint({ ...base, values: [0.5, -1.0000001] })).not.toBe(
      recordFingerprint(base),
    );
    expect(recordFingerprint({ ...base, metadata: { text: 'b', doc_id: 'd' } })).not.toBe(
      recordFingerprint(base),
    );
  });

  it('sends only changed and missing records after a verified sync', async () => {
    const seeded = await seedEmbeddedDataset(env.store, { docs: 10, chunksPerDoc: 2 });
    const first = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
    });
    expect(first).toMatchObject({ complete: true, unchanged: 0 });
    expect(first.planned.upserts).toBe(20);
    expect(
      Object.keys((await readSyncedState(env.store, seeded.datasetId))?.fingerprints ?? {}),
    ).toHaveLength(20);

    // Nothing changed: nothing is upserted.
    let log = loggingFetch();
    const again = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
      fetch: log.fetch,
    });
    expect(again).toMatchObject({ complete: true, unchanged: 20 });
    expect(again.planned).toEqual({ upserts: 0, deletes: 0 });
    expect(log.upsertsSent).toEqual([]);

    // One chunk's text changes (its metadata), one vector vanishes from the namespace.
    const changed = 'doc-00003';
    await env.store.replaceChunks(seeded.datasetId, changed, [
      { index: 0, text: 'doc 3 chunk 0 text', charStart: 0, charEnd: 18, tokenCount: 5 },
      { index: 1, text: 'an edited text', charStart: 0, charEnd: 14, tokenCount: 3 },
    ]);
    const pc = new Pinecone({
      apiKey: 'other',
      controllerHostUrl: env.emulator.url,
      maxRetries: 0,
    });
    await pc
      .index({ name: env.config.indexName, namespace: first.namespace })
      .deleteOne({ id: 'doc-00007#0' });
    log = loggingFetch();
    const third = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
      fetch: log.fetch,
    });
    expect(third.complete).toBe(true);
    expect(log.upsertsSent.sort()).toEqual(['doc-00003#1', 'doc-00007#0']);
    expect(third).toMatchObject({ unchanged: 18, planned: { upserts: 2, deletes: 0 } });
    const fetched = await pc
      .index({ name: env.config.indexName, namespace: first.namespace })
      .fetch({ ids: ['doc-00003#1', 'doc-00007#0'] });
    expect(fetched.records['doc-00003#1']?.metadata?.['text']).toBe('an edited text');
    expect(fetched.records['doc-00007#0']).toBeDefined();
  });

  it('sends everything to another target, and after a sync that did not complete', async () => {
    const seeded = await seedEmbeddedDataset(env.store, { docs: 4, chunksPerDoc: 2 });
    await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
    });
    const other = await syncDataset(
      env.store,
      seeded.datasetId,
      seeded.setId,
      { ...env.config, namespace: 'elsewhere' },
      { retry: fastRetry() },
    );
    expect(other).toMatchObject({ complete: true, unchanged: 0, planned: { upserts: 8 } });
    // Only the last target is remembered: back to the first one, everything goes again.
    const back = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
    });
    expect(back).toMatchObject({ complete: true, unchanged: 0, planned: { upserts: 8 } });

    // A changed chunk whose upsert is refused (401) stops the sync before it completes.
    await env.store.replaceChunks(seeded.datasetId, 'doc-00001', [
      { index: 0, text: 'changed', charStart: 0, charEnd: 7, tokenCount: 1 },
      { index: 1, text: 'doc 1 chunk 1 text', charStart: 0, charEnd: 18, tokenCount: 5 },
    ]);
    await expect(
      syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
        retry: fastRetry(),
        fetch: async (input, init) =>
          String(input).endsWith('/vectors/upsert')
            ? new Response(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: 'no' } }), {
                status: 401,
                headers: { 'Content-Type': 'application/json' },
              })
            : fetch(input, init),
      }),
    ).rejects.toThrow(/401/);
    expect((await readSyncedState(env.store, seeded.datasetId))?.complete).toBe(false);
    await discardSync(env.store, seeded.datasetId);
    const log = loggingFetch();
    const after = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
      fetch: log.fetch,
    });
    expect(after).toMatchObject({ complete: true, unchanged: 0 });
    expect(log.upsertsSent).toHaveLength(8);
    const last = await syncDataset(env.store, seeded.datasetId, seeded.setId, env.config, {
      retry: fastRetry(),
    });
    expect(last).toMatchObject({ complete: true, unchanged: 8, planned: { upserts: 0 } });
  });
});
