import { PineconeSyncError } from './errors.ts';

export type PineconeMetric = 'cosine' | 'dotproduct' | 'euclidean';

/** Where and how to sync. The API key is used for requests only and is never stored by core. */
export interface SyncConfig {
  apiKey: string;
  /** Control-plane URL; the local emulator's URL in tests and the offline demo. */
  controllerHostUrl?: string;
  indexName: string;
  /** Defaults to `lumina-<datasetId>` (see `defaultNamespace`). */
  namespace?: string;
  /** Serverless spec of an index the sync creates; defaults aws / us-east-1. */
  cloud?: string;
  region?: string;
  /** Metric of an index the sync creates; defaults to cosine, which is what Lumina ranks by. */
  metric?: PineconeMetric;
}

/** The config minus the key: what may be stored, shown and put in progress events. */
export type SyncTarget = Omit<SyncConfig, 'apiKey'> & { namespace: string };

const INDEX_NAME = /^[a-z0-9]([a-z0-9-]{0,43}[a-z0-9])?$/;
const METRICS: readonly PineconeMetric[] = ['cosine', 'dotproduct', 'euclidean'];

/** A stable, Pinecone-legal namespace for a dataset. */
export function defaultNamespace(datasetId: string): string {
  return `lumina-${datasetId.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** Checks a config before any request and resolves the namespace; throws a config error. */
export function resolveTarget(config: SyncConfig, datasetId: string): SyncTarget {
  const fail = (message: string): never => {
    throw new PineconeSyncError(message, 'config');
  };
  if (typeof config.apiKey !== 'string' || config.apiKey.trim() === '') {
    fail('A Pinecone API key is needed to sync.');
  }
  if (!INDEX_NAME.test(config.indexName)) {
    fail(
      `Index name "${config.indexName}" is not valid for Pinecone: use 1–45 lowercase letters, ` +
        'digits or hyphens, starting and ending with a letter or digit.',
    );
  }
  if (config.metric !== undefined && !METRICS.includes(config.metric)) {
    fail(`Metric must be one of ${METRICS.join(', ')}.`);
  }
  const namespace = config.namespace ?? defaultNamespace(datasetId);
  if (namespace.length === 0 || namespace.length > 512) {
    fail('Namespace must be 1–512 characters long.');
  }
  const { apiKey: _key, ...rest } = config;
  return { ...rest, namespace };
}
