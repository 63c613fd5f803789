import { throwIfAborted } from '../abort.ts';
import { MessageLog, moreOf } from '../ingest/messages.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { FileMessage, SourceDocument } from '../types.ts';
import type { HubAccess } from './access.ts';
import { openParquetFile } from './parquet-file.ts';
import {
  checkColumns,
  checkLimit,
  hubSource,
  topColumns,
  type HubImportRequest,
} from './request.ts';
import { findSplit, lookUpHubDataset } from './resolve.ts';
import { rowDocument } from './row-document.ts';
import { readHubRows } from './rows.ts';
import { columnsOf } from './schema.ts';

export interface HubReadControl extends HubAccess {
  onProgress?: ProgressCallback;
}

export interface HubReadResult {
  source: string;
  /** Rows read from the split (at most the limit). */
  rowsRead: number;
  /** Documents handed to the sink. */
  documents: number;
  /** Rows in the split, when the Hub says. */
  splitRows: number | null;
  /** Bytes of Parquet downloaded (footers and the column pages read). */
  bytesDownloaded: number;
  messages: FileMessage[];
}

/**
 * Reads the first `limit` rows of a Hub dataset split as documents, handing them to `sink` a
 * batch (one Parquet read) at a time. Bad rows are reported and skipped; a repeated id within
 * the split becomes `id#dup2`, … with a warning, as file ingestion does.
 */
export async function readHubDocuments(
  request: HubImportRequest,
  sink: (docs: SourceDocument[]) => Promise<void>,
  control: HubReadControl = {},
): Promise<HubReadResult> {
  checkLimit(request.limit);
  const reporter = new ProgressReporter(control.onProgress);
  const source = hubSource(request);
  reporter.start(`Looking up ${request.dataset}`);
  const info = await lookUpHubDataset(request.dataset, control);
  const split = findSplit(info, request.config, request.split);
  const what = `${info.dataset} (${split.config}/${split.split})`;
  let bytesDownloaded = 0;
  const onBytes = (n: number) => {
    bytesDownloaded += n;
  };
  const firstSource = split.files[0];
  if (!firstSource) throw new Error(`${what} lists no Parquet file.`);
  const firstFile = await openParquetFile(firstSource, what, control, onBytes);
  checkColumns(request, columnsOf(firstFile.metadata), what);

  const log = new MessageLog(source);
  const target = Math.min(request.limit, split.numRows ?? request.limit);
  const target1 = Number.isFinite(target) ? target : null;
  const seen = new Map<string, number>();
  let rowsRead = 0;
  let documents = 0;
  for await (const batch of readHubRows(
    split,
    what,
    { columns: topColumns(request), limit: request.limit, onBytes, firstFile },
    control,
  )) {
    const docs: SourceDocument[] = [];
    batch.rows.forEach((values, i) => {
      const doc = rowDocument(values, batch.firstRow + i, request, log);
      if (!doc) return;
      const repeats = seen.get(doc.id);
      if (repeats === undefined) {
        seen.set(doc.id, 1);
        docs.push(doc);
        return;
      }
      let n = repeats;
      let id: string;
      do id = `${doc.id}#dup${++n}`;
      while (seen.has(id));
      seen.set(doc.id, n);
      seen.set(id, 1);
      log.repeatable(
        'duplicate-id',
        'warning',
        `Row ${batch.firstRow + i + 1}: duplicate id "${doc.id}"; kept as "${id}"`,
        { line: batch.firstRow + i + 1, ...(request.idColumn ? { field: request.idColumn } : {}) },
        moreOf('duplicate ids'),
      );
      docs.push({ ...doc, id });
    });
    throwIfAborted(control.signal);
    if (docs.length) await sink(docs);
    rowsRead += batch.rows.length;
    documents += docs.length;
    reporter.update(rowsRead, target1 ?? rowsRead + 1, `${rowsRead} rows of ${what}`);
  }
  if (info.partial) {
    log.info('The Hub converted only the first part of this split to Parquet (the first 5 GB).');
  }
  if (rowsRead < request.limit && split.numRows !== null && rowsRead < split.numRows) {
    log.warning(
      `Read ${rowsRead} rows, fewer than the ${split.numRows} the Hub reports for this split.`,
    );
  }
  reporter.finish(`${documents} document(s) from ${rowsRead} row(s)`);
  return {
    source,
    rowsRead,
    documents,
    splitRows: split.numRows,
    bytesDownloaded,
    messages: log.finish(),
  };
}
