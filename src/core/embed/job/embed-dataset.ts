import { isAbortError, throwIfAborted } from '../../abort.ts';
import type { ChunkRecord, JobRecord, JobState, LuminaStore } from '../../store/index.ts';
import {
  AdaptiveBudget,
  budgetKey,
  bucketsUpTo,
  planBatches,
  runBatchesAdaptively,
  type Batch,
} from '../batching/index.ts';
import { BlockWriter, idsInRows } from './block-writer.ts';
import { writeDocumentAverages } from './document-averages.ts';
import {
  cursorJson,
  documentSetId,
  embedJobId,
  makeEmbedJob,
  readEmbedCursor,
  type EmbedJobCursor,
} from './job-record.ts';
import type {
  EmbedControl,
  EmbedDatasetOptions,
  EmbedDatasetResult,
  EmbeddingRunner,
  EmbedProgress,
} from './types.ts';

const DEFAULT_WINDOW = 2048;
/** Share of the progress bar given to the chunks; the document averages take the rest. */
const CHUNK_SHARE = 0.95;

/**
 * Embeds every chunk of a dataset into the set `options.setId`, then stores per-document
 * averages in `${setId}:docs`. Each finished batch's rows and the job's cursor are stored in one
 * transaction, so an interrupted job (abort, crash, closed tab) resumes with `resume: true`
 * where it stopped and ends with every chunk exactly once.
 *
 * Memory: one window of chunk records (`windowSize` chunks, texts included) with its batch
 * plan, and the one partly filled embedding block; never the whole corpus. The document
 * averages hold one window of per-document sums (see `writeDocumentAverages`).
 *
 * Aborting `control.signal` pauses the job (state 'paused') and rejects with the abort; any
 * other error marks it 'failed' and is rethrown. `cancelEmbedJob` discards a job.
 */
export async function embedDataset(
  store: LuminaStore,
  datasetId: string,
  runner: EmbeddingRunner,
  options: EmbedDatasetOptions,
  control: EmbedControl = {},
): Promise<EmbedDatasetResult> {
  const { signal, onProgress } = control;
  throwIfAborted(signal);
  const setId = options.setId ?? runner.modelId;
  const docSetId = documentSetId(setId);
  const opened = await openJob(store, datasetId, setId, runner, options);
  let job = opened.job;
  const cursor = opened.cursor;
  const started = Date.now();
  const budget = control.budgetStore
    ? await AdaptiveBudget.open({
        initial: options.tokenBudget,
        store: control.budgetStore,
        key: budgetKey(runner.modelId, runner.device),
      })
    : new AdaptiveBudget({ initial: options.tokenBudget });

  let lastFraction = 0;
  const emit = (event: EmbedProgress): void => {
    if (event.status !== 'done') event.fraction = Math.max(lastFraction, event.fraction);
    lastFraction = event.fraction;
    onProgress?.(event);
  };
  const base = { total: cursor.total, device: runner.device };
  const chunkFraction = (done: number): number =>
    CHUNK_SHARE * (cursor.total > 0 ? Math.min(1, done / cursor.total) : 1);
  emit({
    status: 'start',
    ...base,
    fraction: chunkFraction(cursor.rows),
    done: cursor.rows,
    resumed: opened.resumed,
  });

  const save = async (state: JobState, error?: string): Promise<void> => {
    const next: JobRecord = { ...job, state, cursor: cursorJson(cursor) };
    if (error === undefined) delete next.error;
    else next.error = error;
    job = await store.putJob(next);
  };

  let tokensThisRun = 0;
  let rowsThisRun = 0;
  let failures = 0;
  try {
    if (!cursor.chunksDone) {
      const writer = await BlockWriter.open(store, datasetId, setId, runner.dims, cursor.rows);
      for (;;) {
        throwIfAborted(signal);
        const window = await store.listChunksAfter(
          datasetId,
          cursor.windowAfter ?? undefined,
          cursor.settings.windowSize,
        );
        const last = window.at(-1);
        if (last === undefined) break;
        const done =
          cursor.rows > cursor.windowStartRow
            ? await idsInRows(store, datasetId, setId, cursor.windowStartRow, cursor.rows)
            : new Set<string>();
        const todo = window.filter((chunk) => !done.has(chunk.id));
        let left = todo.length;
        const texts = new Map(todo.map((chunk) => [chunk.id, chunk.text]));
        const batches = await planWindow(todo, runner, options.maxTokens, budget.current);

        const run = await runBatchesAdaptively<Float32Array>(
          batches,
          async (batch, batchSignal) => {
            const vectors = await runner.embed(
              batch.ids.map((id) => textOf(texts, id)),
              batchSignal,
            );
            return rowsOf(vectors, batch, runner.dims);
          },
          budget,
          {
            signal,
            collect: false,
            onBatch: async (batch, rows) => {
              const flat = new Float32Array(batch.ids.length * runner.dims);
              rows.forEach((row, i) => flat.set(row, i * runner.dims));
              const touched = writer.append(batch.ids, flat);
              const tokens = batch.tokens.reduce((sum, t) => sum + t, 0);
              left -= batch.ids.length;
              const next = { ...cursor, rows: writer.rows, tokens: cursor.tokens + tokens };
              if (left === 0) {
                next.windowAfter = last.id;
                next.windowStartRow = next.rows;
              }
              job = await store.putEmbeddingProgress(touched, {
                ...job,
                state: 'running',
                cursor: cursorJson(next),
              });
              // Only what is stored may be saved as the cursor, even by a later failure.
              Object.assign(cursor, next);
              for (const id of batch.ids) texts.delete(id);
              tokensThisRun += tokens;
              rowsThisRun += batch.ids.length;
              const seconds = Math.max(1e-3, (Date.now() - started) / 1000);
              const rate = rowsThisRun / seconds;
              emit({
                status: 'progress',
                ...base,
                fraction: chunkFraction(cursor.rows),
                done: cursor.rows,
                tokensPerSecond: tokensThisRun / seconds,
                etaSeconds: rate > 0 ? Math.max(0, cursor.total - cursor.rows) / rate : undefined,
                batchSize: batch.ids.length,
                budget: budget.current,
              });
            },
          },
        );
        failures += run.failures;
        if (cursor.windowAfter !== last.id) {
          // Nothing was left to run in this window (all its rows were stored before a crash).
          cursor.windowAfter = last.id;
          cursor.windowStartRow = cursor.rows;
          await save('running');
        }
        if (window.length < cursor.settings.windowSize) break;
      }
      cursor.chunksDone = true;
      await save('running');
    }

    const averages = await writeDocumentAverages(
      store,
      datasetId,
      setId,
      docSetId,
      runner.dims,
      cursor.settings.normalize,
      signal,
      (documentsDone) => {
        const documents = Math.max(1, opened.documentCount);
        emit({
          status: 'documents',
          ...base,
          fraction: CHUNK_SHARE + (1 - CHUNK_SHARE) * Math.min(1, documentsDone / documents),
          done: cursor.rows,
          documentsDone,
        });
      },
    );
    cursor.documents = averages.documents;
    cursor.missingDocuments = averages.missingDocuments.length;
    await save('done');
    emit({ status: 'done', ...base, fraction: 1, done: cursor.rows });
    return {
      jobId: job.id,
      setId,
      documentSetId: docSetId,
      dims: runner.dims,
      chunks: cursor.rows,
      documents: averages.documents,
      missingDocuments: averages.missingDocuments,
      resumed: opened.resumed,
      tokens: tokensThisRun,
      seconds: (Date.now() - started) / 1000,
      device: runner.device,
      budget: budget.current,
      failures,
    };
  } catch (error) {
    const paused = isAbortError(error) || signal?.aborted === true;
    // The original error matters more than a failure to record it (a deleted dataset, say).
    await save(
      paused ? 'paused' : 'failed',
      paused ? undefined : error instanceof Error ? error.message : String(error),
    ).catch(() => undefined);
    throw error;
  }
}

/**
 * Discards an embed job: marks it 'cancelled' and deletes its partial vectors and document
 * averages. Abort (and await) a running `embedDataset` first.
 */
export async function cancelEmbedJob(
  store: LuminaStore,
  datasetId: string,
  setId: string,
): Promise<void> {
  await store.deleteEmbeddingSet(datasetId, setId);
  await store.deleteEmbeddingSet(datasetId, documentSetId(setId));
  const job = await store.getJob(embedJobId(datasetId, setId));
  if (job) await store.putJob({ ...job, state: 'cancelled' });
}

/** The job's record, if any, with its cursor (for a resume offer after reopening the app). */
export async function getEmbedJob(
  store: LuminaStore,
  datasetId: string,
  setId: string,
): Promise<{ job: JobRecord; cursor: EmbedJobCursor } | undefined> {
  const job = await store.getJob(embedJobId(datasetId, setId));
  return job ? { job, cursor: readEmbedCursor(job) } : undefined;
}

interface OpenedJob {
  job: JobRecord;
  cursor: EmbedJobCursor;
  resumed: boolean;
  documentCount: number;
}

const RESUMABLE: ReadonlySet<JobState> = new Set([
  'pending',
  'running',
  'paused',
  'failed',
  // All chunks are stored: resuming only recomputes the document averages.
  'done',
]);

async function openJob(
  store: LuminaStore,
  datasetId: string,
  setId: string,
  runner: EmbeddingRunner,
  options: EmbedDatasetOptions,
): Promise<OpenedJob> {
  const dataset = await store.getDataset(datasetId);
  if (!dataset) throw new Error(`Dataset ${datasetId} does not exist.`);
  const documentCount = dataset.documentCount;
  const id = embedJobId(datasetId, setId);
  const existing = await store.getJob(id);
  if (options.resume && existing && RESUMABLE.has(existing.state)) {
    const cursor = readEmbedCursor(existing);
    if (cursor.modelId !== runner.modelId || cursor.dims !== runner.dims) {
      throw new Error(
        `Job ${id} was started with model ${cursor.modelId} (${cursor.dims} dims); it cannot ` +
          `be resumed with ${runner.modelId} (${runner.dims} dims). Start it over instead.`,
      );
    }
    const job = await store.putJob({ ...existing, state: 'running' });
    return { job, cursor: { ...cursor, device: runner.device }, resumed: true, documentCount };
  }
  await store.deleteEmbeddingSet(datasetId, setId);
  await store.deleteEmbeddingSet(datasetId, documentSetId(setId));
  const windowSize = options.windowSize ?? DEFAULT_WINDOW;
  if (!Number.isInteger(windowSize) || windowSize < 1) {
    throw new RangeError(`windowSize must be a positive integer, got ${windowSize}.`);
  }
  const cursor: EmbedJobCursor = {
    setId,
    modelId: runner.modelId,
    device: runner.device,
    dims: runner.dims,
    settings: {
      tokenBudget: options.tokenBudget,
      maxTokens: options.maxTokens,
      normalize: options.normalize ?? runner.normalize ?? false,
      windowSize,
    },
    ...(runner.model ? { model: { ...runner.model } } : {}),
    total: dataset.chunkCount,
    rows: 0,
    windowStartRow: 0,
    windowAfter: null,
    chunksDone: false,
    tokens: 0,
    documents: 0,
    missingDocuments: 0,
  };
  const job = await store.putJob(makeEmbedJob(id, datasetId, 'running', cursor));
  return { job, cursor, resumed: false, documentCount };
}

/** Sorted by length within the window and packed under the current budget. */
async function planWindow(
  chunks: readonly ChunkRecord[],
  runner: EmbeddingRunner,
  maxTokens: number,
  tokenBudget: number,
): Promise<Batch[]> {
  if (chunks.length === 0) return [];
  const counts = await runner.countTokens(chunks.map((chunk) => chunk.text));
  const items = chunks.map((chunk, i) => ({
    id: chunk.id,
    // The model truncates longer texts, so they cost no more than maxTokens.
    tokens: Math.max(1, Math.min(maxTokens, counts[i] ?? maxTokens)),
  }));
  return planBatches(items, { tokenBudget, buckets: bucketsUpTo(maxTokens) });
}

function textOf(texts: ReadonlyMap<string, string>, id: string): string {
  const text = texts.get(id);
  if (text === undefined) throw new Error(`Chunk ${id} was planned but its text is gone.`);
  return text;
}

function rowsOf(vectors: Float32Array, batch: Batch, dims: number): Float32Array[] {
  if (vectors.length !== batch.ids.length * dims) {
    throw new Error(
      `The model returned ${vectors.length} values for ${batch.ids.length} texts of ${dims} dims.`,
    );
  }
  return batch.ids.map((_, i) => vectors.subarray(i * dims, (i + 1) * dims));
}
