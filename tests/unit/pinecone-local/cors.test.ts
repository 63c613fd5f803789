import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../tools/pinecone-local/server.ts';

/** The browser app runs on another origin with COEP require-corp and calls the emulator. */
let emulator: RunningEmulator;
const APP_ORIGIN = 'http://127.0.0.1:4173';

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(() => emulator.close());

describe('emulator CORS', () => {
  it('answers a preflight for the headers the client sends', async () => {
    const response = await fetch(`${emulator.url}/indexes`, {
      method: 'OPTIONS',
      headers: {
        Origin: APP_ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'api-key,content-type,x-pinecone-api-version,user-agent',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['api-key', 'content-type', 'x-pinecone-api-version', 'user-agent']) {
      expect(allowed).toContain(header);
    }
    expect(response.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(await response.text()).toBe('');
  });

  it('lists its own headers when the preflight names none', async () => {
    const response = await fetch(`${emulator.url}/data/x/vectors/upsert`, {
      method: 'OPTIONS',
      headers: { Origin: APP_ORIGIN, 'Access-Control-Request-Method': 'POST' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/Api-Key/);
  });

  it('marks answers and errors readable cross-origin', async () => {
    const ok = await fetch(`${emulator.url}/indexes`, {
      headers: { Origin: APP_ORIGIN, 'Api-Key': 'k' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    expect(ok.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const refused = await fetch(`${emulator.url}/indexes`, { headers: { Origin: APP_ORIGIN } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('*');
  });
});
