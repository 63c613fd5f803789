import type { ModelRecord } from './records.ts';
import type { LuminaDatabase } from './schema.ts';
import { writeTransaction } from './transaction.ts';

export function putModel(db: LuminaDatabase, model: ModelRecord): Promise<void> {
  return writeTransaction(
    db,
    ['models'],
    () => `saving model '${model.name}'`,
    async (tx) => {
      await tx.objectStore('models').put(model);
    },
  );
}

export function getModel(db: LuminaDatabase, id: string): Promise<ModelRecord | undefined> {
  return db.get('models', id);
}

/** All models, oldest first, files included (Blobs are read lazily by the browser). */
export async function listModels(db: LuminaDatabase): Promise<ModelRecord[]> {
  const models = await db.getAll('models');
  return models.sort((a, b) => a.createdAt - b.createdAt);
}

export function deleteModel(db: LuminaDatabase, id: string): Promise<void> {
  return db.delete('models', id);
}
