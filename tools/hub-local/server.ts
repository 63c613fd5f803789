import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_LAYOUT,
  scifactSplits,
  type ParquetLayout,
  type StandInSplit,
} from './scifact-parquet.ts';

export const STAND_IN_DATASET = 'BeIR/scifact';

export interface HubStandInOptions {
  /** `../shared` (holds datasets/scifact). */
  sharedDir: string;
  /** 0 picks a free port. */
  port?: number;
  hostname?: string;
  layout?: Partial<ParquetLayout>;
  /**
   * Extra dataset ids that serve the same SciFact data but only with `Authorization: Bearer
   * <token>`, answering 401 without one as the Hub does for gated datasets.
   */
  gated?: Record<string, string>;
  /** Closes the server when aborted. */
  signal?: AbortSignal;
}

export interface HubStandIn {
  /** Base URL for both the dataset viewer API and the Hub (the stand-in serves both). */
  url: string;
  port: number;
  splits: StandInSplit[];
  /** Parquet bytes sent in response bodies since start (or the last reset). */
  bytesServed(): number;
  /** Parquet file requests (GET and HEAD) since start (or the last reset). */
  fileRequests(): number;
  resetCounters(): void;
  close(): Promise<void>;
}

const NOT_FOUND =
  'The dataset does not exist, or is not accessible without authentication (private or gated). Please check the spelling of the dataset name or retry with authentication.';

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Accept-Ranges, ETag',
  // The app runs cross-origin isolated (COEP require-corp).
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...CORS_HEADERS,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` → [start, end) within `size`, or null when unsatisfiable. */
export function parseRange(header: string, size: number): [number, number] | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return null;
  if (from === '') {
    const suffix = Number(to);
    return suffix === 0 ? null : [Math.max(0, size - suffix), size];
  }
  const start = Number(from);
  const end = to === '' ? size : Math.min(size, Number(to) + 1);
  return start < size && start < end ? [start, end] : null;
}

/** Starts the stand-in; the Parquet files are built in memory first (about a second for SciFact). */
export async function startHubStandIn(options: HubStandInOptions): Promise<HubStandIn> {
  const splits = scifactSplits(options.sharedDir, { ...DEFAULT_LAYOUT, ...options.layout });
  const gated = options.gated ?? {};
  let bytesServed = 0;
  let fileRequests = 0;
  let base = '';

  const fileUrl = (dataset: string, split: StandInSplit, filename: string) =>
    `${base}/datasets/${dataset}/resolve/refs%2Fconvert%2Fparquet/${encodeURIComponent(split.config)}/${encodeURIComponent(split.split)}/${filename}`;

  /** null when the dataset is served and may be read; else the refusal. */
  function refusal(
    dataset: string,
    req: IncomingMessage,
  ): { status: number; body: unknown } | null {
    if (dataset === STAND_IN_DATASET) return null;
    const token = gated[dataset];
    if (token === undefined) return { status: 404, body: { error: NOT_FOUND } };
    const given = req.headers.authorization;
    if (given === `Bearer ${token}`) return null;
    return given
      ? { status: 403, body: { error: 'The token does not give access to this gated dataset.' } }
      : { status: 401, body: { error: NOT_FOUND } };
  }

  function viewer(
    path: string,
    query: URLSearchParams,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    const dataset = query.get('dataset');
    if (!dataset) {
      sendJson(res, 422, { error: "Parameter 'dataset' is required" });
      return;
    }
    const refused = refusal(dataset, req);
    if (refused) {
      sendJson(res, refused.status, refused.body, { 'X-Error-Code': 'DatasetNotFoundError' });
      return;
    }
    if (path === '/splits') {
      sendJson(res, 200, {
        splits: splits.map((s) => ({ dataset, config: s.config, split: s.split })),
        pending: [],
        failed: [],
      });
    } else if (path === '/parquet') {
      sendJson(res, 200, {
        parquet_files: splits.flatMap((s) =>
          s.files.map((f) => ({
            dataset,
            config: s.config,
            split: s.split,
            url: fileUrl(dataset, s, f.filename),
            filename: f.filename,
            size: f.bytes.byteLength,
          })),
        ),
        pending: [],
        failed: [],
        partial: false,
      });
    } else {
      const parquetBytes = (list: StandInSplit[]) =>
        list.reduce((sum, s) => sum + s.files.reduce((n, f) => n + f.bytes.byteLength, 0), 0);
      sendJson(res, 200, {
        size: {
          dataset: {
            dataset,
            num_bytes_original_files: parquetBytes(splits),
            num_bytes_parquet_files: parquetBytes(splits),
            num_rows: splits.reduce((n, s) => n + s.rows, 0),
          },
          configs: splits.map((s) => ({
            dataset,
            config: s.config,
            num_bytes_parquet_files: parquetBytes([s]),
            num_rows: s.rows,
            num_columns: s.columns.length,
          })),
          splits: splits.map((s) => ({
            dataset,
            config: s.config,
            split: s.split,
            num_bytes_parquet_files: parquetBytes([s]),
            num_rows: s.rows,
            num_columns: s.columns.length,
          })),
        },
        pending: [],
        failed: [],
        partial: false,
      });
    }
  }

  /** `/api/datasets/<id>/parquet[/<config>[/<split>]]` → `{config: {split: [url…]}}` or narrower. */
  function hubParquetApi(rest: string, req: IncomingMessage, res: ServerResponse): void {
    const parts = rest.split('/').map(decodeURIComponent);
    const at = parts.indexOf('parquet');
    const dataset = parts.slice(0, at).join('/');
    const [config, split] = parts.slice(at + 1);
    const refused = refusal(dataset, req);
    if (refused) {
      sendJson(res, refused.status, { error: 'Repository not found' });
      return;
    }
    const chosen = splits.filter(
      (s) =>
        (config === undefined || s.config === config) && (split === undefined || s.split === split),
    );
    if (!chosen.length) {
      sendJson(res, 404, { error: `Config or split not found in ${dataset}` });
      return;
    }
    const urls = (s: StandInSplit) => s.files.map((f) => fileUrl(dataset, s, f.filename));
    if (split !== undefined) sendJson(res, 200, chosen.flatMap(urls));
    else {
      const tree: Record<string, Record<string, string[]>> = {};
      for (const s of chosen) (tree[s.config] ??= {})[s.split] = urls(s);
      sendJson(res, 200, config === undefined ? tree : (tree[config] ?? {}));
    }
  }

  function parquetFile(path: string, req: IncomingMessage, res: ServerResponse): boolean {
    const match =
      /^\/datasets\/(.+)\/resolve\/refs(?:%2F|\/)convert(?:%2F|\/)parquet\/([^/]+)\/([^/]+)\/([^/]+\.parquet)$/i.exec(
        path,
      );
    if (!match) return false;
    const [, dataset = '', config = '', splitName = '', filename = ''] = match.map((p) =>
      decodeURIComponent(p),
    );
    const refused = refusal(dataset, req);
    if (refused) {
      sendJson(res, refused.status, { error: 'Repository not found' });
      return true;
    }
    const file = splits
      .find((s) => s.config === config && s.split === splitName)
      ?.files.find((f) => f.filename === filename);
    if (!file) {
      sendJson(res, 404, { error: 'Entry not found' });
      return true;
    }
    fileRequests++;
    const size = file.bytes.byteLength;
    const headers = {
      ...CORS_HEADERS,
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      ETag: `"${config}-${splitName}-${filename}-${size}"`,
    };
    const range = req.headers.range;
    let body = file.bytes;
    let status = 200;
    if (range !== undefined) {
      const span = parseRange(range, size);
      if (!span) {
        res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}` }).end();
        return true;
      }
      body = file.bytes.subarray(span[0], span[1]);
      status = 206;
      Object.assign(headers, { 'Content-Range': `bytes ${span[0]}-${span[1] - 1}/${size}` });
    }
    res.writeHead(status, { ...headers, 'Content-Length': body.byteLength });
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    bytesServed += body.byteLength;
    res.end(body);
    return true;
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    // Match on the raw path: the Hub's file URLs carry an encoded `refs%2Fconvert%2Fparquet`.
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'OPTIONS') {
      res
        .writeHead(204, {
          ...CORS_HEADERS,
          'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
          'Access-Control-Allow-Headers': 'Range, Authorization, Content-Type, Accept',
          'Access-Control-Max-Age': '600',
        })
        .end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'Method not allowed' });
      return;
    }
    if (['/splits', '/parquet', '/size'].includes(url.pathname)) {
      viewer(url.pathname, url.searchParams, req, res);
    } else if (rawPath.startsWith('/api/datasets/') && rawPath.includes('/parquet')) {
      hubParquetApi(rawPath.slice('/api/datasets/'.length), req, res);
    } else if (!parquetFile(rawPath, req, res)) {
      sendJson(res, 404, { error: 'Not found' });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.hostname ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  return {
    url: base,
    port,
    splits,
    bytesServed: () => bytesServed,
    fileRequests: () => fileRequests,
    resetCounters: () => {
      bytesServed = 0;
      fileRequests = 0;
    },
    close,
  };
}
