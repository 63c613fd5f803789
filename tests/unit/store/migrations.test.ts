import './indexeddb-env.ts';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import {
  MIGRATIONS,
  openStore,
  type DocumentRecord,
  type IdbFactory,
  type Migration,
} from '../../../src/core/store/index.ts';
import { makeDocs } from './fixtures.ts';

/** A test-only version 2: a new store, a new index, and a rewrite of every document. */
/** The version a new migration would get: one past the app's own. */
const NEXT = MIGRATIONS.length + 1;

const version2: Migration = {
  version: NEXT,
  description: 'test: notes store, datasets by name, documents get a language',
  async migrate(db, tx) {
    db.createObjectStore('notes', { keyPath: 'id' });
    tx.objectStore('datasets').createIndex('byName', 'name');
    let cursor = await tx.objectStore('documents').openCursor();
    while (cursor) {
      const doc = cursor.value as DocumentRecord;
      await cursor.update({ ...doc, metadata: { ...doc.metadata, lang: 'en' } });
      cursor = await cursor.continue();
    }
  },
};

async function seedVersion1(factory: IdbFactory) {
  const store = await openStore({ name: 'lumina-test', factory });
  const dataset = await store.createDataset('kept');
  await store.addDocuments(dataset.id, 'h', makeDocs(30));
  const saved = await store.getDataset(dataset.id);
  store.close();
  expect(saved?.documentCount).toBe(30);
  return saved;
}

describe('schema migrations', () => {
  it('upgrades version 1 to a new version and keeps every record', async () => {
    const factory = new IDBFactory();
    const dataset = await seedVersion1(factory);

    const store = await openStore({
      name: 'lumina-test',
      factory,
      migrations: [...MIGRATIONS, version2],
    });
    expect(store.db.version).toBe(NEXT);
    expect([...store.db.objectStoreNames]).toContain('notes');
    if (!dataset) throw new Error('seed failed');
    expect(await store.getDataset(dataset.id)).toEqual(dataset);
    expect(await store.countDocuments(dataset.id)).toBe(30);
    const doc = await store.getDocument(dataset.id, 'doc-00007');
    expect(doc?.metadata).toEqual({ n: 7, lang: 'en' });
    expect(doc?.text).toBe('text number 7');
    const byName = await store.db
      .transaction('datasets')
      .store.index('byName' as never)
      .getAll('kept');
    expect(byName).toEqual([dataset]);
    // The store keeps working on the upgraded schema.
    expect(await store.addDocuments(dataset.id, 'h2', makeDocs(2, 'more'))).toBe(2);
    store.close();
  });

  it('leaves the old version untouched when a migration fails', async () => {
    const factory = new IDBFactory();
    const dataset = await seedVersion1(factory);
    const broken: Migration = {
      version: NEXT,
      description: 'test: fails after changing things',
      migrate(db) {
        db.createObjectStore('half-done');
        db.deleteObjectStore('documents');
        throw new Error('migration 2 broke');
      },
    };
    await expect(
      openStore({ name: 'lumina-test', factory, migrations: [...MIGRATIONS, broken] }),
    ).rejects.toThrow('migration 2 broke');

    const failingLater: Migration = {
      version: NEXT,
      description: 'test: fails after a request',
      async migrate(_db, tx) {
        await tx.objectStore('documents').clear();
        throw new Error('async migration broke');
      },
    };
    await expect(
      openStore({ name: 'lumina-test', factory, migrations: [...MIGRATIONS, failingLater] }),
    ).rejects.toThrow('async migration broke');

    if (!dataset) throw new Error('seed failed');
    const store = await openStore({ name: 'lumina-test', factory });
    expect(store.db.version).toBe(MIGRATIONS.length);
    expect([...store.db.objectStoreNames]).not.toContain('half-done');
    expect(await store.countDocuments(dataset.id)).toBe(30);
    store.close();
  });

  it('upgrades a version 1 database to the analyses store and keeps its records', async () => {
    const factory = new IDBFactory();
    const old = await openStore({ name: 'lumina-v1', factory, migrations: MIGRATIONS.slice(0, 1) });
    const dataset = await old.createDataset('from v1');
    await old.addDocuments(dataset.id, 'h', makeDocs(3));
    old.close();
    const store = await openStore({ name: 'lumina-v1', factory });
    expect(store.db.version).toBe(MIGRATIONS.length);
    expect([...store.db.objectStoreNames]).toEqual(
      expect.arrayContaining(['analyses', 'checkpoints', 'conversations']),
    );
    expect(await store.countDocuments(dataset.id)).toBe(3);
    await store.putAnalysis({
      datasetId: dataset.id,
      setId: 'set',
      id: 'clusters:kmeans',
      kind: 'clusters',
      createdAt: 1,
      rows: 2,
      dims: 1,
      values: Int32Array.from([0, 1]),
      chunkIds: ['a#0', 'b#0'],
      params: { k: 2 },
    });
    expect((await store.listAnalyses(dataset.id, 'set')).map((a) => a.id)).toEqual([
      'clusters:kmeans',
    ]);
    // Deleting the dataset takes its analyses along.
    await store.deleteDataset(dataset.id);
    expect(await store.listAnalyses(dataset.id)).toEqual([]);
    store.close();
  });

  it('insists on migrations numbered 1, 2, 3 in order', async () => {
    const factory = new IDBFactory();
    await expect(
      openStore({ factory, migrations: [...MIGRATIONS, { ...version2, version: NEXT + 1 }] }),
    ).rejects.toThrow('numbered 1, 2, 3');
    await expect(openStore({ factory, migrations: [] })).rejects.toThrow('at least one');
  });
});
