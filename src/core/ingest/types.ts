import type { FileFormat, FileMessage, SourceDocument } from '../types.ts';

export interface IngestOptions {
  /** `.txt`: one document per file (default) or one per non-empty line. */
  txtMode?: 'whole' | 'lines';
  /**
   * json/jsonl/csv/tsv: the field or column that holds the text. Auto-detected when absent.
   * A csv/tsv without a header names its columns `column1`, `column2`, …; a bare number (`"6"`)
   * means the same 1-based column.
   */
  textField?: string;
  /** json/jsonl/csv/tsv: the record's id field; default `id`, then `_id`. */
  idField?: string;
  /** csv/tsv: whether the first row holds column names; `auto` (default) guesses. */
  csvHeader?: 'auto' | 'yes' | 'no';
}

/** In the browser a File (path = webkitRelativePath or name); in Node `await fs.openAsBlob(p)`. */
export interface IngestInput {
  name: string;
  path: string;
  blob: Blob;
}

export interface IngestFileResult {
  /** The input's path: what every message and document `source` names. */
  file: string;
  format: FileFormat | null;
  bytes: number;
  /**
   * sha256 hex of the file's bytes. Empty when the file was not read to its end: an unsupported
   * type or a binary file is rejected without reading it all.
   */
  contentHash: string;
  documents: number;
  messages: FileMessage[];
}

export type DocumentSink = (docs: SourceDocument[]) => Promise<void>;

export interface IngestControl {
  signal?: AbortSignal;
  /** Called at least once per chunk read from the file. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Documents handed to the sink at a time (default 500). */
  batchSize?: number;
}
