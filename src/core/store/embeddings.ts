import { requireDataset } from './datasets.ts';
import { prefixRange } from './keys.ts';
import { pageByPrefix } from './paging.ts';
import { EMBEDDING_BLOCK_ROWS, type EmbeddingBlockRecord, type JobRecord } from './records.ts';
import type { LuminaDatabase } from './schema.ts';
import { requestEach, writeTransaction } from './transaction.ts';

function checkBlock(block: EmbeddingBlockRecord): void {
  const where = `Embedding block ${block.blockIndex} of set ${block.setId}`;
  if (!Number.isInteger(block.dims) || block.dims < 1) {
    throw new RangeError(`${where}: dims must be a positive integer, got ${block.dims}.`);
  }
  if (!Number.isInteger(block.count) || block.count < 0 || block.count > EMBEDDING_BLOCK_ROWS) {
    throw new RangeError(`${where}: count must be 0…${EMBEDDING_BLOCK_ROWS}, got ${block.count}.`);
  }
  if (block.vectors.length !== EMBEDDING_BLOCK_ROWS * block.dims) {
    throw new RangeError(
      `${where}: expected ${EMBEDDING_BLOCK_ROWS} × ${block.dims} values, got ${block.vectors.length}.`,
    );
  }
  if (block.chunkIds.length !== block.count) {
    throw new RangeError(`${where}: ${block.count} rows but ${block.chunkIds.length} chunk ids.`);
  }
}

/** Structured clone copies a view's whole buffer, so a view into a larger buffer is cut out first. */
function ownBuffer(vectors: Float32Array): Float32Array {
  const whole = vectors.byteOffset === 0 && vectors.byteLength === vectors.buffer.byteLength;
  return whole ? vectors : vectors.slice();
}

/** An empty block of `dims` columns, ready to be filled row by row. */
export function emptyEmbeddingBlock(
  datasetId: string,
  setId: string,
  blockIndex: number,
  dims: number,
): EmbeddingBlockRecord {
  return {
    datasetId,
    setId,
    blockIndex,
    dims,
    count: 0,
    vectors: new Float32Array(EMBEDDING_BLOCK_ROWS * dims),
    chunkIds: [],
  };
}

/** Stores blocks (new or replacing ones with the same index) in one transaction. */
export async function putEmbeddingBlocks(
  db: LuminaDatabase,
  blocks: readonly EmbeddingBlockRecord[],
): Promise<void> {
  blocks.forEach(checkBlock);
  const datasetIds = [...new Set(blocks.map((block) => block.datasetId))];
  let datasetNames = datasetIds.join(', ');
  return writeTransaction(
    db,
    ['datasets', 'embeddingBlocks'],
    () => `saving ${blocks.length} embedding blocks to dataset '${datasetNames}'`,
    async (tx) => {
      const datasets = tx.objectStore('datasets');
      const found = await requestEach(datasetIds, (id) => requireDataset(datasets, id));
      datasetNames = found.map((dataset) => dataset.name).join(', ');
      const store = tx.objectStore('embeddingBlocks');
      await requestEach(blocks, (block) =>
        store.put({ ...block, vectors: ownBuffer(block.vectors) }),
      );
    },
  );
}

/**
 * Stores blocks and the job that produced them in one transaction, so a job's cursor never
 * claims rows that are not stored, nor are rows stored that the cursor does not know about.
 * Returns the job as saved (`updatedAt` set to now).
 */
export async function putEmbeddingProgress(
  db: LuminaDatabase,
  blocks: readonly EmbeddingBlockRecord[],
  job: JobRecord,
): Promise<JobRecord> {
  blocks.forEach(checkBlock);
  for (const block of blocks) {
    if (block.datasetId !== job.datasetId) {
      throw new Error(
        `Embedding block of dataset ${block.datasetId} saved with a job of dataset ${job.datasetId}.`,
      );
    }
  }
  const saved = { ...job, updatedAt: Date.now() };
  let datasetName = job.datasetId;
  await writeTransaction(
    db,
    ['datasets', 'embeddingBlocks', 'jobs'],
    () => `saving ${blocks.length} embedding blocks of job ${job.id} to dataset '${datasetName}'`,
    async (tx) => {
      const dataset = await requireDataset(tx.objectStore('datasets'), job.datasetId);
      datasetName = dataset.name;
      const store = tx.objectStore('embeddingBlocks');
      await requestEach(blocks, (block) =>
        store.put({ ...block, vectors: ownBuffer(block.vectors) }),
      );
      await tx.objectStore('jobs').put(saved);
    },
  );
  return saved;
}

export function getEmbeddingBlock(
  db: LuminaDatabase,
  datasetId: string,
  setId: string,
  blockIndex: number,
): Promise<EmbeddingBlockRecord | undefined> {
  return db.get('embeddingBlocks', [datasetId, setId, blockIndex]);
}

/** All blocks of one embedding set, by block index. Loads them all: prefer iterating for big sets. */
export function listEmbeddingBlocks(
  db: LuminaDatabase,
  datasetId: string,
  setId: string,
): Promise<EmbeddingBlockRecord[]> {
  return db.getAll('embeddingBlocks', prefixRange(datasetId, setId));
}

export function iterateEmbeddingBlocks(
  db: LuminaDatabase,
  datasetId: string,
  setId: string,
  batchSize = 4,
  signal?: AbortSignal,
): AsyncGenerator<EmbeddingBlockRecord[]> {
  return pageByPrefix(
    db,
    'embeddingBlocks',
    [datasetId, setId],
    (block) => [block.datasetId, block.setId, block.blockIndex],
    batchSize,
    signal,
  );
}

/** The embedding sets a dataset has, read from keys only (no vectors are loaded). */
export async function listEmbeddingSetIds(
  db: LuminaDatabase,
  datasetId: string,
): Promise<string[]> {
  const keys = await db.getAllKeys('embeddingBlocks', prefixRange(datasetId));
  return [...new Set(keys.map(([, setId]) => setId))];
}

export function deleteEmbeddingSet(
  db: LuminaDatabase,
  datasetId: string,
  setId: string,
): Promise<void> {
  return writeTransaction(
    db,
    ['embeddingBlocks', 'analyses'],
    () => `deleting embedding set ${setId}`,
    async (tx) => {
      await Promise.all([
        tx.objectStore('embeddingBlocks').delete(prefixRange(datasetId, setId)),
        tx.objectStore('analyses').delete(prefixRange(datasetId, setId)),
      ]);
    },
  );
}
