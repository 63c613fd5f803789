import { isAbortError } from '../abort.ts';
import { checkDatasetId, endpointsOf, HubDatasetError, type HubAccess } from './access.ts';
import { getJson } from './http.ts';

/** One Parquet file of a split, as the dataset viewer lists it. */
export interface HubParquetFile {
  url: string;
  filename: string;
  /** Bytes, when listed; lets the reader skip a HEAD request and read by ranges at once. */
  size: number | null;
}

export interface HubSplit {
  config: string;
  split: string;
  /** From the viewer's `/size`; null when it could not say. */
  numRows: number | null;
  files: HubParquetFile[];
}

export interface HubDatasetInfo {
  dataset: string;
  splits: HubSplit[];
  /** True when the Parquet export holds only the first part of a big split (the first 5 GB). */
  partial: boolean;
  /** Why row counts are unknown (`/size` failed, or the listing came from the Hub API). */
  sizeNote: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function badShape(what: string): HubDatasetError {
  return new HubDatasetError(
    'bad-response',
    `The dataset viewer's ${what} answer has an unexpected shape.`,
  );
}

interface ParquetListing {
  files: (HubParquetFile & { config: string; split: string })[];
  partial: boolean;
  pending: number;
  failed: number;
}

/** `GET /parquet?dataset=` → `{ parquet_files: [{dataset, config, split, url, filename, size}], pending, failed, partial }`. */
function parseParquetListing(body: unknown): ParquetListing {
  if (!isRecord(body) || !Array.isArray(body.parquet_files)) throw badShape('/parquet');
  const files = body.parquet_files.map((entry) => {
    if (
      !isRecord(entry) ||
      typeof entry.config !== 'string' ||
      typeof entry.split !== 'string' ||
      typeof entry.url !== 'string' ||
      typeof entry.filename !== 'string' ||
      typeof entry.size !== 'number'
    ) {
      throw badShape('/parquet');
    }
    return {
      config: entry.config,
      split: entry.split,
      url: entry.url,
      filename: entry.filename,
      size: entry.size,
    };
  });
  return {
    files,
    partial: body.partial === true,
    pending: Array.isArray(body.pending) ? body.pending.length : 0,
    failed: Array.isArray(body.failed) ? body.failed.length : 0,
  };
}

/** `GET /size?dataset=` → `{ size: { splits: [{config, split, num_rows, …}] }, partial }`. */
function parseSplitRows(body: unknown): Map<string, number> {
  const rows = new Map<string, number>();
  if (!isRecord(body) || !isRecord(body.size) || !Array.isArray(body.size.splits)) {
    throw badShape('/size');
  }
  for (const entry of body.size.splits) {
    if (
      isRecord(entry) &&
      typeof entry.config === 'string' &&
      typeof entry.split === 'string' &&
      typeof entry.num_rows === 'number'
    ) {
      rows.set(`${entry.config}\u0000${entry.split}`, entry.num_rows);
    }
  }
  return rows;
}

/** `GET <hub>/api/datasets/<id>/parquet` → `{ config: { split: [url, …] } }`. */
function parseHubListing(body: unknown): ParquetListing {
  if (!isRecord(body)) throw badShape('/api/datasets/…/parquet');
  const files: ParquetListing['files'] = [];
  for (const [config, splits] of Object.entries(body)) {
    if (!isRecord(splits)) throw badShape('/api/datasets/…/parquet');
    for (const [split, urls] of Object.entries(splits)) {
      if (!Array.isArray(urls)) throw badShape('/api/datasets/…/parquet');
      for (const url of urls) {
        if (typeof url !== 'string') throw badShape('/api/datasets/…/parquet');
        const filename = decodeURIComponent(url.split('/').at(-1) ?? url);
        files.push({ config, split, url, filename, size: null });
      }
    }
  }
  return { files, partial: false, pending: 0, failed: 0 };
}

/** Failures of the dataset viewer that the Hub's own listing may not share (it runs elsewhere). */
function viewerDown(error: unknown): boolean {
  return (
    error instanceof HubDatasetError &&
    (error.code === 'network' || error.code === 'http' || error.code === 'bad-response')
  );
}

/**
 * Finds a dataset's configs, splits and Parquet files through the dataset viewer API (the
 * Parquet export the Hub makes of every public dataset, under `refs/convert/parquet`), with row
 * counts from its `/size`. When the viewer itself is down (not when it says no), the Hub's
 * `/api/datasets/<id>/parquet` listing is used instead, without row counts.
 */
export async function lookUpHubDataset(
  datasetId: string,
  access: HubAccess = {},
): Promise<HubDatasetInfo> {
  const dataset = checkDatasetId(datasetId);
  const { viewerUrl, hubUrl } = endpointsOf(access);
  const query = `dataset=${encodeURIComponent(dataset)}`;
  const what = `Dataset "${dataset}"`;
  const sizeRequest = getJson(`${viewerUrl}/size?${query}`, what, access).then(
    (body) => ({ rows: parseSplitRows(body), note: null }),
    (error: unknown) => {
      if (isAbortError(error)) throw error;
      return {
        rows: new Map<string, number>(),
        note: `Row counts unavailable: ${error instanceof Error ? error.message : String(error)}`,
      };
    },
  );
  // Keep the size request from being reported as unhandled when the listing fails first.
  sizeRequest.catch(() => undefined);
  let listing: ParquetListing;
  try {
    listing = parseParquetListing(await getJson(`${viewerUrl}/parquet?${query}`, what, access));
  } catch (error) {
    if (!viewerDown(error)) throw error;
    const path = dataset.split('/').map(encodeURIComponent).join('/');
    listing = parseHubListing(
      await getJson(`${hubUrl}/api/datasets/${path}/parquet`, what, access),
    );
  }
  if (listing.files.length === 0) {
    const state = [
      listing.pending ? `${listing.pending} conversion(s) pending` : '',
      listing.failed ? `${listing.failed} failed` : '',
    ]
      .filter(Boolean)
      .join(', ');
    throw new HubDatasetError(
      'no-parquet',
      `${what} has no Parquet export${state ? ` (${state})` : ''}: the Hub has not converted it, so it cannot be read here.`,
    );
  }
  const size = await sizeRequest;
  const splits = new Map<string, HubSplit>();
  for (const file of listing.files) {
    const key = `${file.config}\u0000${file.split}`;
    let split = splits.get(key);
    if (!split) {
      split = {
        config: file.config,
        split: file.split,
        numRows: size.rows.get(key) ?? null,
        files: [],
      };
      splits.set(key, split);
    }
    split.files.push({ url: file.url, filename: file.filename, size: file.size });
  }
  for (const split of splits.values()) {
    split.files.sort((a, b) => a.filename.localeCompare(b.filename, 'en', { numeric: true }));
  }
  return { dataset, splits: [...splits.values()], partial: listing.partial, sizeNote: size.note };
}

/** The split asked for, or an error naming the ones there are. */
export function findSplit(info: HubDatasetInfo, config: string, split: string): HubSplit {
  const found = info.splits.find((s) => s.config === config && s.split === split);
  if (found) return found;
  const known = info.splits.map((s) => `${s.config}/${s.split}`).join(', ');
  throw new HubDatasetError(
    'no-split',
    `Dataset "${info.dataset}" has no split "${config}/${split}"; it has: ${known}.`,
  );
}
