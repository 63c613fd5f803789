import { unwrap, wrap } from 'idb';
import type { IdbFactory } from './platform.ts';
import type { LuminaDatabase, Migration, UpgradeDatabase, UpgradeTransaction } from './schema.ts';

/** The schema version a list of migrations leads to; they must be numbered 1, 2, 3, … in order. */
export function schemaVersion(migrations: readonly Migration[]): number {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `Store migrations must be numbered 1, 2, 3, … in order: found version ${migration.version} at position ${index + 1}.`,
      );
    }
  });
  if (migrations.length === 0) throw new Error('Store needs at least one migration.');
  return migrations.length;
}

/**
 * Runs the migrations newer than `oldVersion` in order. Synchronous ones run at once; after one
 * that returns a promise, the rest wait for it (its requests keep the upgrade transaction alive).
 */
function runMigrations(
  db: UpgradeDatabase,
  tx: UpgradeTransaction,
  oldVersion: number,
  migrations: readonly Migration[],
): Promise<void> {
  let chain: Promise<void> | undefined;
  for (const migration of migrations) {
    if (migration.version <= oldVersion) continue;
    if (chain) {
      chain = chain.then(() => migration.migrate(db, tx));
    } else {
      const result = migration.migrate(db, tx);
      if (result) chain = result;
    }
  }
  return chain ?? Promise.resolve();
}

/**
 * Opens (creating or upgrading) the database through `factory`. idb's own `openDB` always uses
 * the global `indexedDB`, so the request is made here and handed to idb's `wrap`.
 */
export async function openDatabase(
  factory: IdbFactory,
  name: string,
  migrations: readonly Migration[],
): Promise<LuminaDatabase> {
  const version = schemaVersion(migrations);
  const request = factory.open(name, version);
  let migrationError: unknown;

  request.addEventListener('upgradeneeded', (event) => {
    const upgradeTx = request.transaction;
    if (!upgradeTx) return;
    // Typed views are ours to assert: idb cannot check a schema against the database.
    const tx = wrap(upgradeTx) as unknown as UpgradeTransaction;
    // A failed upgrade is reported by the open request; idb's `done` would be an unhandled copy.
    tx.done.catch(() => undefined);
    const abort = (error: unknown): void => {
      migrationError = error;
      try {
        unwrap(tx).abort();
      } catch {
        // Already finished: the open request reports the failure itself.
      }
    };
    try {
      const db = wrap(request.result) as unknown as UpgradeDatabase;
      runMigrations(db, tx, event.oldVersion, migrations).catch(abort);
    } catch (error) {
      abort(error);
    }
  });

  try {
    await new Promise<void>((resolve, reject) => {
      request.addEventListener('success', () => resolve());
      request.addEventListener('error', () => reject(request.error));
    });
  } catch (error) {
    throw migrationError ?? error;
  }
  const db = wrap(request.result) as unknown as LuminaDatabase;
  const raw = unwrap(db);
  // Another tab or worker wants a newer schema: let it upgrade instead of blocking it forever.
  raw.addEventListener('versionchange', () => raw.close());
  return db;
}

/** Deletes a whole database, for tests and "reset everything". */
export function deleteDatabase(factory: IdbFactory, name: string): Promise<void> {
  const request = factory.deleteDatabase(name);
  return new Promise((resolve, reject) => {
    request.addEventListener('success', () => resolve());
    request.addEventListener('error', () => reject(request.error));
  });
}
