import type { Index } from '@pinecone-database/pinecone';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { embedDataset } from '../../../src/core/embed/job/index.ts';
import type { LuminaStore } from '../../../src/core/store/index.ts';
import type { FetchLike, RetryPolicy, SyncConfig } from '../../../src/core/sync/index.ts';
import { abortableSleep } from '../../../src/core/sync/index.ts';
import { seededRandom } from '../../../src/core/project/random.ts';
import type { Metadata, TextChunk } from '../../../src/core/types.ts';
import { startEmulator, type RunningEmulator } from '../../../tools/pinecone-local/server.ts';
import { fakeRunner, fakeVector, openTestStore } from '../embed/job/fixtures.ts';

export { openTestStore };

export const SET_ID = 'fake/model';

export interface SeededSet {
  datasetId: string;
  setId: string;
  dims: number;
  /** Chunk id → chunk text, for every chunk. */
  texts: Map<string, string>;
  /** Doc id → its file hash, one file per document so one can be deleted alone. */
  fileOf: Map<string, string>;
}

/**
 * A dataset of `docs` documents with `chunksPerDoc` chunks each, embedded with the fake runner
 * (a text's vector depends on the text alone, see `fakeVector`) into a finished set.
 */
export async function seedEmbeddedDataset(
  store: LuminaStore,
  {
    docs,
    chunksPerDoc,
    dims = 8,
    metadata = () => ({}),
  }: {
    docs: number;
    chunksPerDoc: number;
    dims?: number;
    metadata?: (doc: number) => Metadata;
  },
): Promise<SeededSet> {
  const dataset = await store.createDataset('sync', {
    chunking: { mode: 'recursive', chunkTokens: 64, overlapTokens: 0 },
  });
  const texts = new Map<string, string>();
  const fileOf = new Map<string, string>();
  const entries: { docId: string; chunks: TextChunk[] }[] = [];
  for (let d = 0; d < docs; d += 1) {
    const docId = `doc-${String(d).padStart(5, '0')}`;
    const hash = `file-${d}`;
    fileOf.set(docId, hash);
    await store.addDocuments(dataset.id, hash, [
      { id: docId, source: `${docId}.txt`, text: `document ${d}`, metadata: metadata(d) },
    ]);
    const chunks = Array.from({ length: chunksPerDoc }, (_, index): TextChunk => {
      const text = `doc ${d} chunk ${index} text`;
      texts.set(`${docId}#${index}`, text);
      return { index, text, charStart: 0, charEnd: text.length, tokenCount: 5 };
    });
    entries.push({ docId, chunks });
  }
  for (let i = 0; i < entries.length; i += 500) {
    await store.putChunkBatch(dataset.id, entries.slice(i, i + 500));
  }
  await embedDataset(store, dataset.id, fakeRunner({ dims }), {
    setId: SET_ID,
    tokenBudget: 8192,
    maxTokens: 64,
    windowSize: 2000,
  });
  return { datasetId: dataset.id, setId: SET_ID, dims, texts, fileOf };
}

/** The vector the fake runner gives a chunk text, as float32 values. */
export function expectedVector(text: string, dims: number): number[] {
  return Array.from(fakeVector(text, dims));
}

export function testConfig(url: string, indexName = 'sync-test'): SyncConfig {
  return { apiKey: 'sk-test-SECRET-0123456789', controllerHostUrl: url, indexName };
}

/** Backoff that keeps tests fast: sleeps of a few milliseconds, jitter from a fixed seed. */
export function fastRetry(seed = 7, maxAttempts = 12): Partial<RetryPolicy> {
  return { baseMs: 1, capMs: 8, maxAttempts, random: seededRandom(seed), sleep: abortableSleep };
}

export interface RequestLog {
  fetch: FetchLike;
  /** Ids in upsert bodies that got a 2xx answer, in order, repeats included. */
  upserted: string[];
  /** Ids in upsert bodies sent, whatever came back. */
  upsertsSent: string[];
  deleted: string[];
  requests: number;
  statuses: number[];
}

function bodyText(init: RequestInit | undefined): string | undefined {
  return typeof init?.body === 'string' ? init.body : undefined;
}

/** A fetch that logs what the client sends and what it gets back. */
export function loggingFetch(): RequestLog {
  const log: RequestLog = {
    upserted: [],
    upsertsSent: [],
    deleted: [],
    requests: 0,
    statuses: [],
    fetch: async (input, init) => {
      log.requests += 1;
      const url = input instanceof Request ? input.url : String(input);
      const text = bodyText(init);
      const ids =
        text !== undefined && url.endsWith('/vectors/upsert')
          ? (JSON.parse(text) as { vectors: { id: string }[] }).vectors.map((v) => v.id)
          : [];
      const deleteIds =
        text !== undefined && url.endsWith('/vectors/delete')
          ? ((JSON.parse(text) as { ids?: string[] }).ids ?? [])
          : [];
      log.upsertsSent.push(...ids);
      const response = await fetch(input, init);
      log.statuses.push(response.status);
      if (response.ok) {
        log.upserted.push(...ids);
        log.deleted.push(...deleteIds);
      }
      return response;
    },
  };
  return log;
}

export interface EmulatorSession {
  readonly emulator: RunningEmulator;
  /** A fresh store for each test. */
  readonly store: LuminaStore;
  /** `testConfig` against this emulator. */
  readonly config: SyncConfig;
}

/**
 * One Pinecone emulator for the test file, emptied before each test, which also gets a fresh
 * store (closed after it). Registers the hooks; read the fields inside tests and hooks only.
 */
export function useEmulatorPerTest(): EmulatorSession {
  let emulator: RunningEmulator | undefined;
  let store: LuminaStore | undefined;
  let config: SyncConfig | undefined;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator?.close());
  beforeEach(async () => {
    const url = started(emulator).url;
    await fetch(`${url}/_emulator/reset`, { method: 'POST' });
    store = await openTestStore();
    config = testConfig(url);
  });
  afterEach(() => store?.close());
  return {
    get emulator() {
      return started(emulator);
    },
    get store() {
      return started(store);
    },
    get config() {
      return started(config);
    },
  };
}

function started<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('the emulator session is used outside a test');
  return value;
}

/** Every id in the index's namespace, page by page as a client lists them. */
export async function listRemoteIds(index: Index): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined;
  do {
    const page = await index.listPaginated({
      limit: 100,
      ...(next !== undefined ? { paginationToken: next } : {}),
    });
    ids.push(...(page.vectors ?? []).map((v) => v.id ?? ''));
    next = page.pagination?.next;
  } while (next !== undefined);
  return ids;
}
