/**
 * File ingestion: turns user files (txt, md, json, jsonl, csv, tsv, pdf) and pasted text into
 * SourceDocuments. Pure TypeScript: runs in Node and in Web Workers (no DOM).
 *
 * Document ids: the record's own id field (`idField`, else `id`, else `_id`), stringified, for
 * json/jsonl/csv/tsv; otherwise `${path}#${n}` with n the 1-based line a record starts on
 * (jsonl, csv, tsv, txt lines) or the 0-based array index (json); whole-file documents (txt, md,
 * pdf) use the path, an object of id → text its keys, pasted text `paste:<index>`. A repeated id
 * within a file becomes `id#dup2`, `id#dup3`, … with a warning.
 *
 * PDF: pdf.js runs in the calling thread; see pdf.ts for why and how.
 */
export { detectFormat, SUPPORTED_EXTENSIONS } from './formats.ts';
export { ingestFile } from './ingest-file.ts';
export { ingestPaste } from './paste.ts';
export type {
  DocumentSink,
  IngestControl,
  IngestFileResult,
  IngestInput,
  IngestOptions,
} from './types.ts';
