import {
  asyncBufferFromUrl,
  cachedAsyncBuffer,
  parquetMetadataAsync,
  type AsyncBuffer,
  type FileMetaData,
} from 'hyparquet';
import { isAbortError } from '../abort.ts';
import { authHeaders, HubDatasetError, type HubAccess } from './access.ts';
import { statusError } from './http.ts';
import type { HubParquetFile } from './resolve.ts';

/**
 * The footer read first: the Hub's Parquet footers are a few KB, so 64 KB almost always holds
 * one whole (hyparquet reads the rest when not) without pulling in half a megabyte of data pages
 * as its 512 KB default would on every file.
 */
const FOOTER_FETCH_BYTES = 1 << 16;

export interface OpenParquetFile {
  file: AsyncBuffer;
  metadata: FileMetaData;
}

/** Counts the bytes received, for progress and to show that a small row limit reads little. */
export type ByteCounter = (bytes: number) => void;

/**
 * Opens a remote Parquet file for range reads (HTTP Range through hyparquet) and reads its footer.
 * HTTP failures become HubDatasetErrors that say what to do; the token rides in the headers only.
 */
export async function openParquetFile(
  source: HubParquetFile,
  what: string,
  access: HubAccess,
  onBytes: ByteCounter = () => undefined,
): Promise<OpenParquetFile> {
  const baseFetch = access.fetch ?? globalThis.fetch;
  const checkedFetch: typeof globalThis.fetch = async (input, init) => {
    let response: Response;
    try {
      response = await baseFetch(input, init);
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw new HubDatasetError(
        'network',
        `Could not download ${source.filename} of ${what} (${error instanceof Error ? error.message : String(error)}).`,
      );
    }
    if (!response.ok)
      throw statusError(response.status, `${what} (${source.filename})`, access, null);
    return response;
  };
  const remote = await asyncBufferFromUrl({
    url: source.url,
    ...(source.size !== null ? { byteLength: source.size } : {}),
    requestInit: {
      headers: authHeaders(access),
      ...(access.signal ? { signal: access.signal } : {}),
    },
    fetch: checkedFetch,
  });
  const counted: AsyncBuffer = {
    byteLength: remote.byteLength,
    async slice(start, end) {
      const bytes = await remote.slice(start, end);
      onBytes(bytes.byteLength);
      return bytes;
    },
  };
  // Successive row ranges of one row group ask for the same page indexes again: keep them.
  const file = cachedAsyncBuffer(counted, { minSize: FOOTER_FETCH_BYTES });
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file, { initialFetchSize: FOOTER_FETCH_BYTES });
  } catch (error) {
    if (isAbortError(error) || error instanceof HubDatasetError) throw error;
    throw new HubDatasetError(
      'bad-response',
      `${source.filename} of ${what} is not a readable Parquet file (${error instanceof Error ? error.message : String(error)}).`,
    );
  }
  return { file, metadata };
}
