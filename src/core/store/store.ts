import type { SourceDocument, TextChunk } from '../types.ts';
import * as analyses from './analyses.ts';
import * as checkpoints from './checkpoints.ts';
import * as chunks from './chunks.ts';
import * as conversations from './conversations.ts';
import * as datasets from './datasets.ts';
import * as documents from './documents.ts';
import * as embeddings from './embeddings.ts';
import * as files from './files.ts';
import * as jobs from './jobs.ts';
import * as models from './models.ts';
import { deleteDatabase, openDatabase } from './open.ts';
import * as outbox from './outbox.ts';
import { globalFactory, type IdbFactory } from './platform.ts';
import type {
  AnalysisRecord,
  CheckpointRecord,
  ChunkingSettings,
  ChunkRecord,
  ConversationRecord,
  DatasetRecord,
  DatasetSettings,
  DocumentRecord,
  EmbeddingBlockRecord,
  FileRecord,
  JobRecord,
  MetricRecord,
  MetricRow,
  ModelRecord,
  OutboxRecord,
  OutboxState,
  RunRecord,
} from './records.ts';
import * as runs from './runs.ts';
import { MIGRATIONS, type LuminaDatabase, type Migration } from './schema.ts';
import { estimateUsage, type StorageUsage } from './usage.ts';

export const DEFAULT_STORE_NAME = 'lumina';

export interface OpenStoreOptions {
  /** Database name; tests use a fresh one each. */
  name?: string;
  /** Defaults to the global `indexedDB`; Node tests pass fake-indexeddb's. */
  factory?: IdbFactory;
  /** Defaults to `MIGRATIONS`; tests append versions to try an upgrade. */
  migrations?: readonly Migration[];
}

function defaultFactory(): IdbFactory {
  const factory = globalFactory();
  if (!factory) {
    throw new Error(
      'IndexedDB is not available here: pass a factory (fake-indexeddb in Node) to openStore.',
    );
  }
  return factory;
}

/** Opens Lumina's database, creating or upgrading it to the newest schema. */
export async function openStore(options: OpenStoreOptions = {}): Promise<LuminaStore> {
  const factory = options.factory ?? defaultFactory();
  const name = options.name ?? DEFAULT_STORE_NAME;
  const db = await openDatabase(factory, name, options.migrations ?? MIGRATIONS);
  return new LuminaStore(db, name, factory);
}

/** Deletes a whole store database (close open stores on it first). */
export function deleteStore(name: string, factory: IdbFactory = defaultFactory()): Promise<void> {
  return deleteDatabase(factory, name);
}

/**
 * Lumina's IndexedDB store. Every multi-record write is one transaction: it lands whole or not
 * at all, and dataset counters move in the same transaction as the records they count.
 * Functions live in per-store modules; this class binds them to one open database.
 */
export class LuminaStore {
  constructor(
    /** The open database, for migrations and tests; prefer the methods. */
    readonly db: LuminaDatabase,
    readonly name: string,
    private readonly factory: IdbFactory,
  ) {}

  close(): void {
    this.db.close();
  }

  /** Closes and deletes this store's whole database. */
  async destroy(): Promise<void> {
    this.close();
    await deleteDatabase(this.factory, this.name);
  }

  estimateUsage(): Promise<StorageUsage | undefined> {
    return estimateUsage();
  }

  // Datasets

  createDataset(name: string, settings?: DatasetSettings): Promise<DatasetRecord> {
    return datasets.createDataset(this.db, name, settings);
  }

  listDatasets(): Promise<DatasetRecord[]> {
    return datasets.listDatasets(this.db);
  }

  getDataset(id: string): Promise<DatasetRecord | undefined> {
    return datasets.getDataset(this.db, id);
  }

  renameDataset(id: string, name: string): Promise<DatasetRecord> {
    return datasets.renameDataset(this.db, id, name);
  }

  setDatasetSettings(id: string, settings: DatasetSettings): Promise<DatasetRecord> {
    return datasets.setDatasetSettings(this.db, id, settings);
  }

  updateDatasetChunking(
    id: string,
    settings: ChunkingSettings & { tokenizer?: string },
  ): Promise<DatasetRecord> {
    return datasets.updateDatasetChunking(this.db, id, settings);
  }

  deleteDataset(id: string): Promise<boolean> {
    return datasets.deleteDataset(this.db, id);
  }

  // Files

  findFile(datasetId: string, hash: string): Promise<FileRecord | undefined> {
    return files.findFile(this.db, datasetId, hash);
  }

  putFile(record: FileRecord): Promise<void> {
    return files.putFile(this.db, record);
  }

  listFiles(datasetId: string): Promise<FileRecord[]> {
    return files.listFiles(this.db, datasetId);
  }

  deleteFile(datasetId: string, hash: string): Promise<number> {
    return files.deleteFile(this.db, datasetId, hash);
  }

  // Documents

  addDocuments(
    datasetId: string,
    fileHash: string,
    docs: readonly SourceDocument[],
  ): Promise<number> {
    return documents.addDocuments(this.db, datasetId, fileHash, docs);
  }

  existingDocumentIds(datasetId: string, ids: readonly string[]): Promise<Set<string>> {
    return documents.existingDocumentIds(this.db, datasetId, ids);
  }

  deleteFileDocuments(datasetId: string, fileHash: string): Promise<number> {
    return documents.deleteFileDocuments(this.db, datasetId, fileHash);
  }

  countDocuments(datasetId: string): Promise<number> {
    return documents.countDocuments(this.db, datasetId);
  }

  listDocuments(datasetId: string, page?: documents.PageOptions): Promise<DocumentRecord[]> {
    return documents.listDocuments(this.db, datasetId, page);
  }

  getDocument(datasetId: string, id: string): Promise<DocumentRecord | undefined> {
    return documents.getDocument(this.db, datasetId, id);
  }

  iterateDocuments(
    datasetId: string,
    batchSize?: number,
    signal?: AbortSignal,
  ): AsyncGenerator<DocumentRecord[]> {
    return documents.iterateDocuments(this.db, datasetId, batchSize, signal);
  }

  // Chunks

  replaceChunks(datasetId: string, docId: string, list: readonly TextChunk[]): Promise<number> {
    return chunks.replaceChunks(this.db, datasetId, docId, list);
  }

  putChunkBatch(datasetId: string, entries: readonly chunks.DocumentChunks[]): Promise<number> {
    return chunks.putChunkBatch(this.db, datasetId, entries);
  }

  listChunks(datasetId: string, docId: string): Promise<ChunkRecord[]> {
    return chunks.listChunks(this.db, datasetId, docId);
  }

  deleteAllChunks(datasetId: string): Promise<void> {
    return chunks.deleteAllChunks(this.db, datasetId);
  }

  iterateChunks(
    datasetId: string,
    batchSize?: number,
    signal?: AbortSignal,
  ): AsyncGenerator<ChunkRecord[]> {
    return chunks.iterateChunks(this.db, datasetId, batchSize, signal);
  }

  /** Chunks after `afterId` in id order, at most `limit`: a resumable page of the listing. */
  listChunksAfter(
    datasetId: string,
    afterId: string | undefined,
    limit: number,
  ): Promise<ChunkRecord[]> {
    return chunks.listChunksAfter(this.db, datasetId, afterId, limit);
  }

  // Embedding blocks

  putEmbeddingBlocks(blocks: readonly EmbeddingBlockRecord[]): Promise<void> {
    return embeddings.putEmbeddingBlocks(this.db, blocks);
  }

  /** Blocks and the job's new state in one transaction (see `putEmbeddingProgress`). */
  putEmbeddingProgress(
    blocks: readonly EmbeddingBlockRecord[],
    job: JobRecord,
  ): Promise<JobRecord> {
    return embeddings.putEmbeddingProgress(this.db, blocks, job);
  }

  getEmbeddingBlock(
    datasetId: string,
    setId: string,
    blockIndex: number,
  ): Promise<EmbeddingBlockRecord | undefined> {
    return embeddings.getEmbeddingBlock(this.db, datasetId, setId, blockIndex);
  }

  listEmbeddingBlocks(datasetId: string, setId: string): Promise<EmbeddingBlockRecord[]> {
    return embeddings.listEmbeddingBlocks(this.db, datasetId, setId);
  }

  iterateEmbeddingBlocks(
    datasetId: string,
    setId: string,
    batchSize?: number,
    signal?: AbortSignal,
  ): AsyncGenerator<EmbeddingBlockRecord[]> {
    return embeddings.iterateEmbeddingBlocks(this.db, datasetId, setId, batchSize, signal);
  }

  listEmbeddingSetIds(datasetId: string): Promise<string[]> {
    return embeddings.listEmbeddingSetIds(this.db, datasetId);
  }

  deleteEmbeddingSet(datasetId: string, setId: string): Promise<void> {
    return embeddings.deleteEmbeddingSet(this.db, datasetId, setId);
  }

  // Jobs

  putJob(job: JobRecord): Promise<JobRecord> {
    return jobs.putJob(this.db, job);
  }

  getJob(id: string): Promise<JobRecord | undefined> {
    return jobs.getJob(this.db, id);
  }

  listJobs(datasetId: string): Promise<JobRecord[]> {
    return jobs.listJobs(this.db, datasetId);
  }

  deleteJob(id: string): Promise<void> {
    return jobs.deleteJob(this.db, id);
  }

  // Models

  putModel(model: ModelRecord): Promise<void> {
    return models.putModel(this.db, model);
  }

  getModel(id: string): Promise<ModelRecord | undefined> {
    return models.getModel(this.db, id);
  }

  listModels(): Promise<ModelRecord[]> {
    return models.listModels(this.db);
  }

  deleteModel(id: string): Promise<void> {
    return models.deleteModel(this.db, id);
  }

  // Analyses (stored maps and clusters of an embedding set)

  putAnalysis(record: AnalysisRecord): Promise<void> {
    return analyses.putAnalysis(this.db, record);
  }

  getAnalysis(datasetId: string, setId: string, id: string): Promise<AnalysisRecord | undefined> {
    return analyses.getAnalysis(this.db, datasetId, setId, id);
  }

  listAnalyses(datasetId: string, setId?: string): Promise<AnalysisRecord[]> {
    return analyses.listAnalyses(this.db, datasetId, setId);
  }

  deleteAnalyses(datasetId: string, setId?: string): Promise<void> {
    return analyses.deleteAnalyses(this.db, datasetId, setId);
  }

  // Runs and metrics

  putRun(run: RunRecord): Promise<void> {
    return runs.putRun(this.db, run);
  }

  getRun(id: string): Promise<RunRecord | undefined> {
    return runs.getRun(this.db, id);
  }

  listRuns(): Promise<RunRecord[]> {
    return runs.listRuns(this.db);
  }

  /** Deletes a run with its metrics and checkpoints. */
  async deleteRun(id: string): Promise<void> {
    await runs.deleteRun(this.db, id);
    await checkpoints.deleteCheckpoints(this.db, id);
  }

  appendMetrics(runId: string, rows: readonly MetricRow[]): Promise<void> {
    return runs.appendMetrics(this.db, runId, rows);
  }

  getMetrics(runId: string): Promise<MetricRecord[]> {
    return runs.getMetrics(this.db, runId);
  }

  // Training checkpoints

  putCheckpoint(record: CheckpointRecord): Promise<void> {
    return checkpoints.putCheckpoint(this.db, record);
  }

  getCheckpoint(runId: string, step: number): Promise<CheckpointRecord | undefined> {
    return checkpoints.getCheckpoint(this.db, runId, step);
  }

  /** A run's checkpoints by step, without their tensors. */
  listCheckpoints(runId: string): Promise<Omit<CheckpointRecord, 'tensors'>[]> {
    return checkpoints.listCheckpoints(this.db, runId);
  }

  latestCheckpoint(runId: string): Promise<CheckpointRecord | undefined> {
    return checkpoints.latestCheckpoint(this.db, runId);
  }

  /** All of a run's checkpoints, or those before `beforeStep`. */
  deleteCheckpoints(runId: string, beforeStep?: number): Promise<void> {
    return checkpoints.deleteCheckpoints(this.db, runId, beforeStep);
  }

  // RAG conversations

  putConversation(record: ConversationRecord): Promise<void> {
    return conversations.putConversation(this.db, record);
  }

  getConversation(id: string): Promise<ConversationRecord | undefined> {
    return conversations.getConversation(this.db, id);
  }

  /** The dataset's conversations, the most recently updated first. */
  listConversations(datasetId: string): Promise<ConversationRecord[]> {
    return conversations.listConversations(this.db, datasetId);
  }

  renameConversation(id: string, title: string, now?: number): Promise<ConversationRecord> {
    return conversations.renameConversation(this.db, id, title, now);
  }

  deleteConversation(id: string): Promise<void> {
    return conversations.deleteConversation(this.db, id);
  }

  deleteDatasetConversations(datasetId: string): Promise<number> {
    return conversations.deleteDatasetConversations(this.db, datasetId);
  }

  // Sync outbox

  enqueueOutbox(datasetId: string, entries: readonly outbox.OutboxEntry[]): Promise<void> {
    return outbox.enqueueOutbox(this.db, datasetId, entries);
  }

  setOutboxState(
    datasetId: string,
    vectorIds: readonly string[],
    state: OutboxState,
  ): Promise<void> {
    return outbox.setOutboxState(this.db, datasetId, vectorIds, state);
  }

  pendingOutboxBatch(datasetId: string, limit: number): Promise<OutboxRecord[]> {
    return outbox.pendingOutboxBatch(this.db, datasetId, limit);
  }

  countOutbox(datasetId: string, state: OutboxState): Promise<number> {
    return outbox.countOutbox(this.db, datasetId, state);
  }

  clearAckedOutbox(datasetId: string): Promise<number> {
    return outbox.clearAckedOutbox(this.db, datasetId);
  }

  listOutbox(datasetId: string): Promise<OutboxRecord[]> {
    return outbox.listOutbox(this.db, datasetId);
  }

  moveOutboxStates(
    datasetId: string,
    from: readonly OutboxState[],
    to: OutboxState,
  ): Promise<number> {
    return outbox.moveOutboxStates(this.db, datasetId, from, to);
  }

  /** The dataset's entries in `state`, in vector id order. */
  outboxEntries(datasetId: string, state: OutboxState): Promise<OutboxRecord[]> {
    return outbox.outboxEntries(this.db, datasetId, state);
  }

  clearOutbox(datasetId: string): Promise<void> {
    return outbox.clearOutbox(this.db, datasetId);
  }
}
