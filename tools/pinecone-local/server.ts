import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlPlane } from './control.ts';
import * as data from './data.ts';
import { ApiError, controlErrorBody, dataErrorBody } from './errors.ts';
import { FaultInjector, NO_FAULTS, mergeFaults, type FaultConfig } from './faults.ts';
import { StatsRecorder, type EmulatorStats } from './stats.ts';
import { LIMITS } from './store.ts';

export const API_VERSION = '2026-04';

export interface EmulatorOptions {
  /** Port to listen on; 0 picks a free one. */
  port?: number;
  /** Interface to bind; the emulator is meant for this machine only. */
  hostname?: string;
  faults?: Partial<FaultConfig>;
  /** Closes the emulator when aborted. */
  signal?: AbortSignal;
}

export interface RunningEmulator {
  /** Control-plane base URL, for the client's `controllerHostUrl`. */
  url: string;
  port: number;
  faults(): FaultConfig;
  setFaults(patch: Partial<FaultConfig>): FaultConfig;
  /** Requests, faults and applied ids since start or the last reset. */
  stats(): EmulatorStats;
  close(): Promise<void>;
}

type Plane = 'control' | 'data' | 'admin';

interface Reply {
  status: number;
  body?: unknown;
}

const DATA_PREFIX = '/data/';

/**
 * CORS, so the app (another origin, cross-origin isolated with COEP require-corp) can call the
 * emulator from the browser: any origin, the client's headers, and a resource policy that lets
 * an isolated page read the answers.
 */
const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PATCH, PUT, DELETE, OPTIONS',
  'Access-Control-Expose-Headers': 'Content-Type, Content-Length, X-Pinecone-Api-Version',
  'Access-Control-Max-Age': '600',
  'Cross-Origin-Resource-Policy': 'cross-origin',
} as const;

/** The headers the client sends; echoing the request's list also admits future X-Pinecone-* ones. */
const ALLOWED_HEADERS =
  'Api-Key, Content-Type, Accept, User-Agent, X-Pinecone-Api-Version, X-Pinecone-Source-Tag';

function preflight(req: IncomingMessage, res: ServerResponse): void {
  const requested = req.headers['access-control-request-headers'];
  res.writeHead(204, {
    ...CORS_HEADERS,
    'Access-Control-Allow-Headers':
      typeof requested === 'string' && requested.trim() !== '' ? requested : ALLOWED_HEADERS,
    Vary: 'Access-Control-Request-Headers',
  });
  res.end();
}

function send(res: ServerResponse, { status, body }: Reply): void {
  if (body === undefined) {
    res.writeHead(status, CORS_HEADERS).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...CORS_HEADERS,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Reads the body, refusing (without buffering) anything past the service's request limit. */
async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= LIMITS.maxRequestBytes) chunks.push(chunk);
  }
  if (size > LIMITS.maxRequestBytes) {
    const mb = (size / (1024 * 1024)).toFixed(1);
    throw new ApiError(
      400,
      'INVALID_ARGUMENT',
      `Request size ${mb}MB exceeds the maximum supported size of 2MB`,
    );
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ApiError(400, 'INVALID_ARGUMENT', 'Failed to parse the request body as JSON');
  }
}

function planeOf(path: string): Plane {
  if (path.startsWith('/_emulator/')) return 'admin';
  return path.startsWith(DATA_PREFIX) ? 'data' : 'control';
}

function errorReply(plane: Plane, error: ApiError): Reply {
  return {
    status: error.status,
    body: plane === 'data' ? dataErrorBody(error) : controlErrorBody(error),
  };
}

const FAULT_ERRORS = {
  429: new ApiError(429, 'RESOURCE_EXHAUSTED', 'Too many requests (emulated fault). Retry later.'),
  500: new ApiError(500, 'UNKNOWN', 'Internal server error (emulated fault)'),
  503: new ApiError(503, 'UNAVAILABLE', 'Service unavailable (emulated fault)'),
} as const;

/** `POST /vectors/upsert` for data-plane paths (the index name left out), else method and path. */
function operationOf(method: string, path: string): string {
  if (!path.startsWith(DATA_PREFIX))
    return `${method} ${path.replace(/^\/indexes\/[^/]+$/, '/indexes/{name}')}`;
  const rest = path.slice(DATA_PREFIX.length);
  const slash = rest.indexOf('/');
  return `${method} ${slash < 0 ? '/' : rest.slice(slash)}`;
}

/** Length of the body's `field` list, 0 when it has none. */
function idCount(body: unknown, field: string): number {
  if (typeof body !== 'object' || body === null) return 0;
  const list = (body as Record<string, unknown>)[field];
  return Array.isArray(list) ? list.length : 0;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts an in-memory emulator of the Pinecone 2026-04 control and data planes. Index hosts
 * point back at this server under `/data/<index>`, with an explicit `http://` scheme because the
 * official client turns a bare host into an https URL.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const hostname = options.hostname ?? '127.0.0.1';
  const injector = new FaultInjector(mergeFaults(NO_FAULTS, options.faults ?? {}));
  let baseUrl = '';
  const stats = new StatsRecorder();
  const control = new ControlPlane((name) => `${baseUrl}${DATA_PREFIX}${name}`);

  async function route(req: IncomingMessage, url: URL, plane: Plane): Promise<Reply> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const body = method === 'GET' || method === 'DELETE' ? undefined : await readBody(req);
    if (plane === 'admin') return routeAdmin(method, path, body);
    if (!req.headers['api-key']) {
      throw new ApiError(401, 'UNAUTHENTICATED', 'Invalid API key.');
    }
    const version = req.headers['x-pinecone-api-version'];
    if (version !== undefined && version !== API_VERSION) {
      throw new ApiError(
        400,
        'INVALID_ARGUMENT',
        `Unsupported API version ${String(version)}; the emulator speaks ${API_VERSION}`,
      );
    }
    if (plane === 'control') return routeControl(method, path, body);
    return routeData(method, path, url.searchParams, body);
  }

  function routeAdmin(method: string, path: string, body: unknown): Reply {
    if (path === '/_emulator/faults' && method === 'GET')
      return { status: 200, body: injector.current };
    if (path === '/_emulator/faults' && method === 'POST') {
      try {
        injector.set(mergeFaults(injector.current, body ?? {}));
      } catch (error) {
        throw new ApiError(400, 'INVALID_ARGUMENT', (error as Error).message);
      }
      return { status: 200, body: injector.current };
    }
    if (path === '/_emulator/reset' && method === 'POST') {
      control.indexes.clear();
      injector.set(NO_FAULTS);
      stats.reset();
      return { status: 200, body: {} };
    }
    if (path === '/_emulator/stats' && method === 'GET')
      return { status: 200, body: stats.snapshot() };
    if (path === '/_emulator/stats/reset' && method === 'POST') {
      stats.reset();
      return { status: 200, body: stats.snapshot() };
    }
    throw new ApiError(404, 'NOT_FOUND', `No emulator route ${method} ${path}`);
  }

  function routeControl(method: string, path: string, body: unknown): Reply {
    if (path === '/indexes') {
      if (method === 'GET') return { status: 200, body: control.list() };
      if (method === 'POST') return { status: 201, body: control.create(body) };
    }
    const match = /^\/indexes\/([^/]+)$/.exec(path);
    if (match?.[1] !== undefined) {
      const name = decodeURIComponent(match[1]);
      if (method === 'GET') return { status: 200, body: control.get(name).model };
      if (method === 'PATCH') return { status: 202, body: control.configure(name, body) };
      if (method === 'DELETE') {
        control.delete(name);
        return { status: 202 };
      }
    }
    throw new ApiError(404, 'NOT_FOUND', `The emulator does not implement ${method} ${path}`);
  }

  function routeData(method: string, path: string, params: URLSearchParams, body: unknown): Reply {
    const rest = path.slice(DATA_PREFIX.length);
    const slash = rest.indexOf('/');
    const name = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
    const operation = slash < 0 ? '' : rest.slice(slash);
    const index = control.get(name).data;
    const lag = injector.current.consistencyLagMs;
    const op = `${method} ${operation}`;
    switch (op) {
      case 'POST /vectors/upsert': {
        const reply = data.upsert(index, body, lag);
        stats.applied('upsert', idCount(body, 'vectors'));
        return { status: 200, body: reply };
      }
      case 'POST /query':
        return { status: 200, body: data.query(index, body) };
      case 'GET /vectors/fetch':
        return { status: 200, body: data.fetch(index, params) };
      case 'GET /vectors/list':
        return { status: 200, body: data.list(index, params) };
      case 'POST /vectors/delete': {
        const reply = data.deleteVectors(index, body, lag);
        stats.applied('delete', idCount(body, 'ids'));
        return { status: 200, body: reply };
      }
      case 'POST /vectors/update':
        return { status: 200, body: data.update(index, body, lag) };
      case 'POST /describe_index_stats':
      case 'GET /describe_index_stats':
        return { status: 200, body: data.describeStats(index, body) };
    }
    throw new ApiError(404, 'NOT_FOUND', `The emulator does not implement ${op}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'OPTIONS') {
      preflight(req, res);
      return;
    }
    const url = new URL(req.url ?? '/', baseUrl);
    const plane = planeOf(url.pathname);
    if (plane !== 'admin') {
      const key = req.headers['api-key'];
      stats.request(
        operationOf(req.method ?? 'GET', url.pathname),
        typeof key === 'string' ? key : undefined,
      );
      const { latencyMs } = injector.current;
      if (latencyMs > 0) await sleep(latencyMs);
      const fault = injector.decide();
      if (fault !== null) stats.fault(String(fault));
      if (fault === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault !== null) {
        req.resume();
        send(res, errorReply(plane, FAULT_ERRORS[fault]));
        return;
      }
    }
    try {
      send(res, await route(req, url, plane));
    } catch (error) {
      if (error instanceof ApiError) send(res, errorReply(plane, error));
      else send(res, errorReply(plane, new ApiError(500, 'UNKNOWN', String(error))));
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, hostname, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${hostname}:${port}`;

  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  options.signal?.addEventListener('abort', () => void close(), { once: true });

  return {
    url: baseUrl,
    port,
    faults: () => injector.current,
    stats: () => stats.snapshot(),
    setFaults: (patch) => {
      injector.set(mergeFaults(injector.current, patch));
      return injector.current;
    },
    close,
  };
}
