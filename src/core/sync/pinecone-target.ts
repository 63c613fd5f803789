import { Pinecone, type IndexModel } from '@pinecone-database/pinecone';

/** The fetch the client is given; tests pass one that counts or fails requests. */
export type FetchLike = typeof fetch;
import { throwIfAborted } from '../abort.ts';
import type { UpsertRecord } from './batching.ts';
import type { PineconeMetric, SyncConfig } from './config.ts';
import { PineconeSyncError, redact, wrapClientError } from './errors.ts';
import { PINECONE_LIMITS } from './limits.ts';
import type { PineconeMetadata } from './records.ts';
import { DEFAULT_RETRY, withRetry, type RetryEvent, type RetryPolicy } from './retry.ts';

export interface TargetOptions {
  retry?: RetryPolicy;
  /** The fetch the client uses; tests pass one that counts or fails requests. */
  fetch?: FetchLike;
  onRetry?: (event: RetryEvent) => void;
  /** How long to wait for a new index to become ready. */
  readyTimeoutMs?: number;
}

export interface IndexSpec {
  dimension: number;
  metric: PineconeMetric;
  cloud: string;
  region: string;
}

export interface QueryMatch {
  id: string;
  score: number;
  metadata: PineconeMetadata;
}

export interface ListPage {
  ids: string[];
  next?: string;
}

type Operation<T> = (client: Pinecone) => Promise<T>;

function mergeSignals(a: AbortSignal | undefined, b: AbortSignal | null | undefined) {
  if (!a) return b ?? undefined;
  if (!b) return a;
  return AbortSignal.any([a, b]);
}

/**
 * One index of one Pinecone project, reached through the official client with its own retries
 * off. Every request goes through `attempt`, which gives the client a fetch that carries the
 * caller's AbortSignal (the client itself takes none) and notes the HTTP status, so failures are
 * classified by status instead of by the client's error class names.
 */
export class PineconeTarget {
  private host: string | undefined;
  private readonly retry: RetryPolicy;

  constructor(
    private readonly config: SyncConfig,
    private readonly options: TargetOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  private async attempt<T>(
    operation: string,
    run: Operation<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    throwIfAborted(signal);
    const baseFetch = this.options.fetch ?? fetch;
    let status: number | undefined;
    const fetchApi: FetchLike = async (input, init) => {
      const response = await baseFetch(input, {
        ...init,
        signal: mergeSignals(signal, init?.signal) ?? null,
      });
      status = response.status;
      return response;
    };
    const client = new Pinecone({
      apiKey: this.config.apiKey,
      ...(this.config.controllerHostUrl !== undefined
        ? { controllerHostUrl: this.config.controllerHostUrl }
        : {}),
      maxRetries: 0,
      fetchApi,
    });
    try {
      return await run(client);
    } catch (error) {
      throwIfAborted(signal);
      if (error instanceof PineconeSyncError) {
        throw new PineconeSyncError(
          redact(error.message, this.config.apiKey),
          error.kind,
          error.status,
        );
      }
      throw wrapClientError(error, operation, status, this.config.apiKey);
    }
  }

  private call<T>(operation: string, run: Operation<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(
      (s) => this.attempt(operation, run, s),
      this.retry,
      signal,
      this.options.onRetry,
    );
  }

  private async indexHost(signal?: AbortSignal): Promise<string> {
    if (this.host === undefined) {
      const model = await this.describe(signal);
      if (!model) {
        throw new PineconeSyncError(
          `Pinecone index "${this.config.indexName}" does not exist.`,
          'config',
          404,
        );
      }
      this.host = model.host;
    }
    return this.host;
  }

  private async index(namespace: string, signal?: AbortSignal) {
    const host = await this.indexHost(signal);
    return (client: Pinecone) => client.index({ name: this.config.indexName, host, namespace });
  }

  /** The index's description, or undefined when it does not exist. */
  async describe(signal?: AbortSignal): Promise<IndexModel | undefined> {
    try {
      return await this.call(
        `describe index "${this.config.indexName}"`,
        (client) => client.describeIndex(this.config.indexName),
        signal,
      );
    } catch (error) {
      if (error instanceof PineconeSyncError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Makes sure the index exists with the given dimension and metric: creates it when missing
   * and waits until it is ready, or refuses an existing one that does not match.
   */
  async ensureIndex(spec: IndexSpec, signal?: AbortSignal): Promise<IndexModel> {
    const name = this.config.indexName;
    let model = await this.describe(signal);
    if (!model) {
      try {
        await this.call(
          `create index "${name}"`,
          (client) =>
            client.createIndex({
              name,
              dimension: spec.dimension,
              metric: spec.metric,
              spec: { serverless: { cloud: spec.cloud, region: spec.region } },
            }),
          signal,
        );
      } catch (error) {
        // Someone else created it meanwhile: it is checked like any existing index below.
        if (!(error instanceof PineconeSyncError && error.status === 409)) throw error;
      }
      model = await this.waitUntilReady(signal);
    }
    if (model.dimension !== spec.dimension || model.metric !== spec.metric) {
      throw new PineconeSyncError(
        `Pinecone index "${name}" has dimension ${String(model.dimension)} and metric ` +
          `${model.metric}, but this embedding set needs dimension ${spec.dimension} and ` +
          `metric ${spec.metric}: choose another index name.`,
        'config',
      );
    }
    if (!model.status.ready) model = await this.waitUntilReady(signal);
    this.host = model.host;
    return model;
  }

  private async waitUntilReady(signal?: AbortSignal): Promise<IndexModel> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 300_000);
    for (let attempt = 0; ; attempt += 1) {
      const model = await this.describe(signal);
      if (model?.status.ready) return model;
      if (Date.now() > deadline) {
        throw new PineconeSyncError(
          `Pinecone index "${this.config.indexName}" did not become ready in time.`,
          'config',
        );
      }
      await this.retry.sleep(Math.min(5_000, 500 * 2 ** Math.min(attempt, 4)), signal);
    }
  }

  async upsert(namespace: string, records: UpsertRecord[], signal?: AbortSignal): Promise<void> {
    const index = await this.index(namespace, signal);
    await this.call(
      `upsert of ${records.length} vectors`,
      (client) => index(client).upsert({ records }),
      signal,
    );
  }

  async deleteIds(namespace: string, ids: string[], signal?: AbortSignal): Promise<void> {
    if (ids.length > PINECONE_LIMITS.maxIdsPerDelete) {
      throw new RangeError(`At most ${PINECONE_LIMITS.maxIdsPerDelete} ids per delete.`);
    }
    const index = await this.index(namespace, signal);
    await this.call(
      `delete of ${ids.length} vectors`,
      (client) => index(client).deleteMany({ ids }),
      signal,
    );
  }

  /** One page of the namespace's ids in the service's order. */
  async listPage(namespace: string, next?: string, signal?: AbortSignal): Promise<ListPage> {
    const index = await this.index(namespace, signal);
    const page = await this.call(
      'list of vector ids',
      (client) =>
        index(client).listPaginated({
          limit: PINECONE_LIMITS.maxListLimit,
          ...(next !== undefined ? { paginationToken: next } : {}),
        }),
      signal,
    );
    const ids = (page.vectors ?? []).flatMap((item) => (item.id ? [item.id] : []));
    const token = page.pagination?.next;
    return token ? { ids, next: token } : { ids };
  }

  /** Every id in the namespace, following pagination. */
  async listAll(
    namespace: string,
    signal?: AbortSignal,
    onPage?: (count: number) => void,
  ): Promise<string[]> {
    const ids: string[] = [];
    let next: string | undefined;
    do {
      const page = await this.listPage(namespace, next, signal);
      ids.push(...page.ids);
      onPage?.(ids.length);
      next = page.next;
    } while (next !== undefined);
    return ids;
  }

  /** Stored values of the ids that exist (fetch is limited by URL length, so keep pages small). */
  async fetchValues(
    namespace: string,
    ids: string[],
    signal?: AbortSignal,
  ): Promise<Map<string, number[]>> {
    const index = await this.index(namespace, signal);
    const response = await this.call(
      `fetch of ${ids.length} vectors`,
      (client) => index(client).fetch({ ids }),
      signal,
    );
    const found = new Map<string, number[]>();
    for (const [id, record] of Object.entries(response.records)) found.set(id, record.values ?? []);
    return found;
  }

  async query(
    namespace: string,
    vector: number[],
    topK: number,
    filter: object | undefined,
    signal?: AbortSignal,
  ): Promise<QueryMatch[]> {
    const index = await this.index(namespace, signal);
    const response = await this.call(
      `query (top ${topK})`,
      (client) =>
        index(client).query({
          vector,
          topK,
          includeMetadata: true,
          ...(filter !== undefined ? { filter } : {}),
        }),
      signal,
    );
    return response.matches.map((match) => ({
      id: match.id,
      score: match.score ?? 0,
      metadata: (match.metadata ?? {}) as PineconeMetadata,
    }));
  }
}
