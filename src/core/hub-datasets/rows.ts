import { parquetReadObjects } from 'hyparquet';
import { throwIfAborted } from '../abort.ts';
import type { HubAccess } from './access.ts';
import { openParquetFile, type ByteCounter, type OpenParquetFile } from './parquet-file.ts';
import type { HubSplit } from './resolve.ts';

/** Rows decoded per read, so progress moves and an abort lands even inside a big row group. */
const ROWS_PER_READ = 500;

export interface HubRowBatch {
  /** The split-wide index of the first row (files follow each other in name order). */
  firstRow: number;
  rows: Record<string, unknown>[];
  filename: string;
}

export interface ReadRowsOptions {
  /** Top-level columns to read; the others are never downloaded. */
  columns: string[];
  /** Stop after this many rows (across files). */
  limit: number;
  onBytes?: ByteCounter;
  /** The first file, already opened (its footer read) by whoever looked at the schema. */
  firstFile?: OpenParquetFile;
}

/**
 * Reads a split's rows in order, file after file, row group by row group, only the columns asked
 * for and only up to the limit: past the limit no byte more is fetched, and within a row group
 * the offset index limits the pages read to the rows wanted.
 */
export async function* readHubRows(
  split: HubSplit,
  what: string,
  options: ReadRowsOptions,
  access: HubAccess = {},
): AsyncGenerator<HubRowBatch> {
  let next = 0;
  for (const [index, source] of split.files.entries()) {
    if (next >= options.limit) return;
    throwIfAborted(access.signal);
    const opened =
      index === 0 && options.firstFile
        ? options.firstFile
        : await openParquetFile(source, what, access, options.onBytes);
    let groupStart = 0;
    for (const group of opened.metadata.row_groups) {
      const groupEnd = groupStart + Number(group.num_rows);
      for (let start = groupStart; start < groupEnd && next < options.limit;) {
        throwIfAborted(access.signal);
        const end = Math.min(groupEnd, start + ROWS_PER_READ, start + (options.limit - next));
        const rows = await parquetReadObjects({
          file: opened.file,
          metadata: opened.metadata,
          columns: options.columns,
          rowStart: start,
          rowEnd: end,
          useOffsetIndex: true,
        });
        yield { firstRow: next, rows, filename: source.filename };
        next += rows.length;
        start = end;
      }
      groupStart = groupEnd;
      if (next >= options.limit) return;
    }
  }
}
