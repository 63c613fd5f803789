import './indexeddb-env.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobRecord, LuminaStore } from '../../../src/core/store/index.ts';
import { openTestStore } from './indexeddb-env.ts';

let store: LuminaStore;
beforeEach(async () => {
  store = await openTestStore();
});
afterEach(() => store.close());

describe('jobs', () => {
  it('saves a job’s progress and lists a dataset’s jobs oldest first', async () => {
    const job: JobRecord = {
      id: 'j1',
      datasetId: 'd1',
      kind: 'embed',
      state: 'running',
      cursor: { nextBlock: 3, setId: 'minilm' },
      createdAt: 2,
      updatedAt: 2,
    };
    const saved = await store.putJob(job);
    expect(saved.updatedAt).toBeGreaterThanOrEqual(job.updatedAt);
    await store.putJob({ ...job, id: 'j0', createdAt: 1 });
    await store.putJob({ ...job, id: 'j9', datasetId: 'd2' });
    await store.putJob({ ...job, state: 'failed', error: 'GPU lost' });

    expect(await store.getJob('j1')).toMatchObject({ state: 'failed', error: 'GPU lost' });
    expect((await store.listJobs('d1')).map((j) => j.id)).toEqual(['j0', 'j1']);
    await store.deleteJob('j0');
    expect((await store.listJobs('d1')).map((j) => j.id)).toEqual(['j1']);
  });
});

describe('models', () => {
  it('keeps model files as bytes', async () => {
    const weights = new Uint8Array([1, 2, 3, 250]).buffer;
    await store.putModel({
      id: 'm1',
      name: 'tiny',
      source: 'trained',
      createdAt: 1,
      config: { hidden_size: 4 },
      files: { 'model.safetensors': weights },
    });
    await store.putModel({ id: 'm0', name: 'hub', source: 'hub', createdAt: 0, config: null });
    const back = await store.getModel('m1');
    expect(back?.config).toEqual({ hidden_size: 4 });
    const file = back?.files?.['model.safetensors'];
    expect(file).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array(file as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3, 250]));
    expect((await store.listModels()).map((m) => m.id)).toEqual(['m0', 'm1']);
    await store.deleteModel('m1');
    expect(await store.getModel('m1')).toBeUndefined();
  });
});

describe('runs and metrics', () => {
  it('appends metrics and reads them back by step, then split', async () => {
    await store.putRun({
      id: 'r1',
      kind: 'train',
      createdAt: 1,
      config: { lr: 0.001 },
      state: 'running',
    });
    await store.putRun({ id: 'r2', kind: 'train', createdAt: 2, config: {}, state: 'done' });
    await store.appendMetrics('r1', [
      { step: 10, split: 'validation', values: { loss: 0.9 } },
      { step: 2, split: 'train', values: { loss: 1.5, lr: 0.001 } },
    ]);
    await store.appendMetrics('r1', [{ step: 10, split: 'train', values: { loss: 1.1 } }]);
    await store.appendMetrics('r2', [{ step: 1, split: 'train', values: { loss: 9 } }]);

    const metrics = await store.getMetrics('r1');
    expect(metrics.map((m) => [m.step, m.split])).toEqual([
      [2, 'train'],
      [10, 'train'],
      [10, 'validation'],
    ]);
    expect(metrics[0]).toEqual({
      runId: 'r1',
      step: 2,
      split: 'train',
      values: { loss: 1.5, lr: 0.001 },
    });
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['r1', 'r2']);

    await store.deleteRun('r1');
    expect(await store.getRun('r1')).toBeUndefined();
    expect(await store.getMetrics('r1')).toEqual([]);
    expect(await store.getMetrics('r2')).toHaveLength(1);
  });

  it('refuses metrics for an unknown run', async () => {
    await expect(
      store.appendMetrics('nope', [{ step: 1, split: 'train', values: { loss: 1 } }]),
    ).rejects.toMatchObject({ name: 'StoreNotFoundError' });
  });
});

describe('sync outbox', () => {
  it('queues, hands out pending batches, tracks attempts and counts by state', async () => {
    const ids = ['v3', 'v1', 'v2', 'v4'];
    await store.enqueueOutbox(
      'd1',
      ids.map((vectorId) => ({ vectorId, op: 'upsert' as const })),
    );
    await store.enqueueOutbox('d2', [{ vectorId: 'v1', op: 'delete' }]);

    const batch = await store.pendingOutboxBatch('d1', 3);
    expect(batch.map((e) => e.vectorId)).toEqual(['v1', 'v2', 'v3']);
    await store.setOutboxState('d1', ['v1', 'v2', 'v3', 'unknown'], 'sent');
    expect(await store.countOutbox('d1', 'pending')).toBe(1);
    expect(await store.countOutbox('d1', 'sent')).toBe(3);
    expect(await store.countOutbox('d2', 'pending')).toBe(1);

    // A failed send goes back to pending; the next send counts a second attempt.
    await store.setOutboxState('d1', ['v1'], 'pending');
    await store.setOutboxState('d1', ['v1'], 'sent');
    await store.setOutboxState('d1', ['v1', 'v2'], 'acked');
    const entries = await store.listOutbox('d1');
    expect(entries.find((e) => e.vectorId === 'v1')).toMatchObject({ state: 'acked', attempts: 2 });
    expect(entries.find((e) => e.vectorId === 'v4')).toMatchObject({
      state: 'pending',
      attempts: 0,
    });

    // A new change to an acked vector must be sent again.
    await store.enqueueOutbox('d1', [{ vectorId: 'v2', op: 'delete' }]);
    expect((await store.pendingOutboxBatch('d1', 10)).map((e) => [e.vectorId, e.op])).toEqual([
      ['v2', 'delete'],
      ['v4', 'upsert'],
    ]);
    expect(await store.clearAckedOutbox('d1')).toBe(1);
    expect(await store.countOutbox('d1', 'acked')).toBe(0);
    expect(await store.listOutbox('d1')).toHaveLength(3);
  });
});

describe('usage', () => {
  it('reports no estimate where there is no StorageManager', async () => {
    const hasStorage = Boolean(
      (globalThis as { navigator?: { storage?: unknown } }).navigator?.storage,
    );
    const usage = await store.estimateUsage();
    if (hasStorage) expect(usage?.quota).toBeGreaterThan(0);
    else expect(usage).toBeUndefined();
  });
});
