import type { DBSchema, IDBPDatabase, IDBPTransaction } from 'idb';
import type {
  AnalysisRecord,
  CheckpointRecord,
  ChunkRecord,
  ConversationRecord,
  DatasetRecord,
  DocumentRecord,
  EmbeddingBlockRecord,
  FileRecord,
  JobRecord,
  MetricRecord,
  ModelRecord,
  OutboxRecord,
  OutboxState,
  RunRecord,
} from './records.ts';

/** The stores and indexes of the current schema version, as idb types them. */
export interface LuminaSchema extends DBSchema {
  datasets: { key: string; value: DatasetRecord };
  files: { key: [string, string]; value: FileRecord; indexes: { datasetId: string } };
  documents: {
    key: [string, string];
    value: DocumentRecord;
    indexes: { datasetId: string; datasetFile: [string, string] };
  };
  chunks: {
    key: [string, string];
    value: ChunkRecord;
    indexes: { datasetId: string; datasetDoc: [string, string] };
  };
  embeddingBlocks: { key: [string, string, number]; value: EmbeddingBlockRecord };
  jobs: { key: string; value: JobRecord; indexes: { datasetId: string } };
  models: { key: string; value: ModelRecord };
  runs: { key: string; value: RunRecord };
  metrics: { key: [string, number, string]; value: MetricRecord };
  syncOutbox: {
    key: [string, string];
    value: OutboxRecord;
    indexes: { datasetState: [string, OutboxState] };
  };
  analyses: { key: [string, string, string]; value: AnalysisRecord };
  checkpoints: { key: [string, number]; value: CheckpointRecord };
  conversations: { key: string; value: ConversationRecord; indexes: { datasetId: string } };
}

export type LuminaDatabase = IDBPDatabase<LuminaSchema>;

/**
 * Migrations see the database untyped: a later version may add stores that the current
 * `LuminaSchema` does not know yet.
 */
export type UpgradeDatabase = IDBPDatabase;
export type UpgradeTransaction = IDBPTransaction<unknown, string[], 'versionchange'>;

/**
 * One schema version. `migrate` runs inside the upgrade transaction: it may change stores and
 * indexes and rewrite records with that transaction's requests, but must await nothing else.
 */
export interface Migration {
  version: number;
  description: string;
  migrate(db: UpgradeDatabase, tx: UpgradeTransaction): void | Promise<void>;
}

const createVersion1: Migration = {
  version: 1,
  description: 'datasets, files, documents, chunks, embedding blocks, jobs, models, runs, outbox',
  migrate(db) {
    db.createObjectStore('datasets', { keyPath: 'id' });

    const files = db.createObjectStore('files', { keyPath: ['datasetId', 'hash'] });
    files.createIndex('datasetId', 'datasetId');

    const documents = db.createObjectStore('documents', { keyPath: ['datasetId', 'id'] });
    documents.createIndex('datasetId', 'datasetId');
    documents.createIndex('datasetFile', ['datasetId', 'fileHash']);

    const chunks = db.createObjectStore('chunks', { keyPath: ['datasetId', 'id'] });
    chunks.createIndex('datasetId', 'datasetId');
    chunks.createIndex('datasetDoc', ['datasetId', 'docId']);

    db.createObjectStore('embeddingBlocks', { keyPath: ['datasetId', 'setId', 'blockIndex'] });

    const jobs = db.createObjectStore('jobs', { keyPath: 'id' });
    jobs.createIndex('datasetId', 'datasetId');

    db.createObjectStore('models', { keyPath: 'id' });
    db.createObjectStore('runs', { keyPath: 'id' });
    db.createObjectStore('metrics', { keyPath: ['runId', 'step', 'split'] });

    const outbox = db.createObjectStore('syncOutbox', { keyPath: ['datasetId', 'vectorId'] });
    outbox.createIndex('datasetState', ['datasetId', 'state']);
  },
};

const addAnalyses: Migration = {
  version: 2,
  description: 'analyses: stored map coordinates and clusters per embedding set',
  migrate(db) {
    db.createObjectStore('analyses', { keyPath: ['datasetId', 'setId', 'id'] });
  },
};

const addCheckpointsAndConversations: Migration = {
  version: 3,
  description: 'checkpoints of training runs; RAG conversations per dataset',
  migrate(db) {
    db.createObjectStore('checkpoints', { keyPath: ['runId', 'step'] });
    const conversations = db.createObjectStore('conversations', { keyPath: 'id' });
    conversations.createIndex('datasetId', 'datasetId');
  },
};

/** Append new versions here; never edit a released one, or existing databases will not get it. */
export const MIGRATIONS: readonly Migration[] = [
  createVersion1,
  addAnalyses,
  addCheckpointsAndConversations,
];
