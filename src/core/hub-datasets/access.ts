/** Where the Hub lives and how to reach it: the real Hub by default, a local stand-in in tests. */
export interface HubEndpoints {
  /** The dataset viewer API (`/splits`, `/parquet`, `/size`). */
  viewerUrl: string;
  /** The Hub itself (`/api/datasets/<id>/parquet`, `/datasets/<id>/resolve/…`). */
  hubUrl: string;
}

export const DEFAULT_HUB_ENDPOINTS: Readonly<HubEndpoints> = Object.freeze({
  viewerUrl: 'https://datasets-server.huggingface.co',
  hubUrl: 'https://huggingface.co',
});

/** How one call reaches the Hub. `token` is sent as a bearer token and never put in a message. */
export interface HubAccess {
  endpoints?: HubEndpoints;
  token?: string;
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
}

/** Base URLs without a trailing slash, so paths can be appended as they are written. */
export function endpointsOf(access: HubAccess): HubEndpoints {
  const { viewerUrl, hubUrl } = access.endpoints ?? DEFAULT_HUB_ENDPOINTS;
  return { viewerUrl: viewerUrl.replace(/\/+$/, ''), hubUrl: hubUrl.replace(/\/+$/, '') };
}

export function authHeaders(access: HubAccess): Record<string, string> {
  return access.token ? { Authorization: `Bearer ${access.token}` } : {};
}

/** `owner/name` or a legacy bare name such as `wikitext`, as the Hub accepts them. */
const DATASET_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

export function checkDatasetId(datasetId: string): string {
  const id = datasetId.trim();
  if (!DATASET_ID.test(id) || id.includes('..')) {
    throw new HubDatasetError(
      'invalid-id',
      `"${datasetId}" is not a Hugging Face dataset id: expected "owner/name" (e.g. BeIR/scifact) or a bare name (e.g. wikitext).`,
    );
  }
  return id;
}

export type HubErrorCode =
  | 'invalid-id'
  | 'not-found'
  | 'auth'
  | 'no-parquet'
  | 'no-split'
  | 'column'
  | 'network'
  | 'http'
  | 'bad-response';

/** A failure the user can act on; `code` lets the UI and tests tell the cases apart. */
export class HubDatasetError extends Error {
  constructor(
    readonly code: HubErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HubDatasetError';
  }
}
