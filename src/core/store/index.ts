export { chunkId, docIdOfChunk, type DocumentChunks } from './chunks.ts';
export type { CounterDelta } from './datasets.ts';
export type { PageOptions } from './documents.ts';
export { emptyEmbeddingBlock } from './embeddings.ts';
export { isQuotaError, StoreNotFoundError, StoreQuotaError } from './errors.ts';
export type { OutboxEntry } from './outbox.ts';
export * from './records.ts';
export {
  MIGRATIONS,
  type LuminaDatabase,
  type LuminaSchema,
  type Migration,
  type UpgradeDatabase,
  type UpgradeTransaction,
} from './schema.ts';
export {
  DEFAULT_STORE_NAME,
  deleteStore,
  LuminaStore,
  openStore,
  type OpenStoreOptions,
} from './store.ts';
export type { IdbFactory, IdbKeyRange } from './platform.ts';
export {
  datasetUsage,
  storedModelUsage,
  utf8ByteLength,
  type DatasetUsage,
  type KindUsage,
  type StorageUsage,
  type StoredModelUsage,
  type UsageControls,
  type UsageStore,
} from './usage.ts';
