import { isAbortError } from '../abort.ts';
import { authHeaders, HubDatasetError, type HubAccess } from './access.ts';

function errorText(body: unknown): string | null {
  if (body && typeof body === 'object' && 'error' in body && typeof body.error === 'string') {
    return body.error;
  }
  return null;
}

/**
 * The Hub's answer when it says no. The dataset viewer answers 404 both for a missing dataset and
 * for a gated or private one asked for without a token, so a 404 names both possibilities.
 */
export function statusError(status: number, what: string, access: HubAccess, body: unknown): Error {
  const detail = errorText(body);
  if (status === 401 || status === 403) {
    return new HubDatasetError(
      'auth',
      access.token
        ? `${what}: the Hub refused the access token (${status}). Check that it is valid and that you accepted the dataset's terms on huggingface.co.`
        : `${what} is gated or private (${status}): an access token from huggingface.co/settings/tokens is needed.`,
    );
  }
  if (status === 404) {
    return new HubDatasetError(
      'not-found',
      access.token
        ? `${what} was not found on the Hub (404).`
        : `${what} was not found on the Hub (404). If it is private or gated, an access token is needed.`,
    );
  }
  return new HubDatasetError(
    'http',
    `${what}: the Hub answered ${status}${detail ? ` (${detail})` : ''}.`,
  );
}

/** GET a JSON document from the Hub, turning every failure into a HubDatasetError (aborts pass). */
export async function getJson(url: string, what: string, access: HubAccess): Promise<unknown> {
  const fetchImpl = access.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { Accept: 'application/json', ...authHeaders(access) },
      ...(access.signal ? { signal: access.signal } : {}),
    });
  } catch (error) {
    if (isAbortError(error)) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new HubDatasetError(
      'network',
      `Could not reach ${new URL(url).origin} (${reason}). Check the connection or the Hub endpoint setting.`,
    );
  }
  let body: unknown = null;
  try {
    body = await response.json();
  } catch (error) {
    if (isAbortError(error)) throw error;
    if (response.ok) {
      throw new HubDatasetError('bad-response', `${what}: the Hub did not answer with JSON.`);
    }
  }
  if (!response.ok) throw statusError(response.status, what, access, body);
  return body;
}
