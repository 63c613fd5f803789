import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A server with the Hub's `/<id>/resolve/<revision>/<path>` scheme over an in-memory model. */
export interface FakeHub {
  url: string;
  /** Paths asked for, in order. */
  requests: string[];
  /** Files answered with 404 although the model has them. */
  missing: Set<string>;
  /** Files whose body stops halfway: the connection is destroyed after half the bytes. */
  cutOff: Set<string>;
  /** Files whose body stalls halfway; the callback runs once half is sent. */
  stall: Map<string, () => void>;
  close: () => Promise<void>;
}

/** Serves `files` as model `hubId` at revision `main` on a free local port. */
export async function startFakeHub(
  hubId: string,
  files: ReadonlyMap<string, Uint8Array>,
): Promise<FakeHub> {
  const requests: string[] = [];
  const missing = new Set<string>();
  const cutOff = new Set<string>();
  const stall = new Map<string, () => void>();
  const prefix = `/${hubId}/resolve/main/`;
  const server: Server = createServer((request, response) => {
    const url = request.url ?? '';
    requests.push(url);
    const file = url.startsWith(prefix) ? decodeURIComponent(url.slice(prefix.length)) : '';
    const bytes = files.get(file);
    if (!bytes || missing.has(file)) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    response.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.byteLength),
    });
    const half = bytes.subarray(0, Math.floor(bytes.byteLength / 2));
    if (cutOff.has(file)) {
      response.write(half, () => response.socket?.destroy());
    } else if (stall.has(file)) {
      response.write(half, () => stall.get(file)?.());
    } else {
      response.end(bytes);
    }
  });
  // Longer than any pause in the tests: a socket closed while fetch reuses it fails the request.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    missing,
    cutOff,
    stall,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
