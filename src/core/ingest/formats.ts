import type { FileFormat } from '../types.ts';

type FileFormatOnDisk = Exclude<FileFormat, 'paste'>;

const FORMAT_BY_EXTENSION: Readonly<Record<string, FileFormatOnDisk>> = {
  txt: 'txt',
  text: 'txt',
  md: 'md',
  markdown: 'md',
  json: 'json',
  jsonl: 'jsonl',
  ndjson: 'jsonl',
  csv: 'csv',
  tsv: 'tsv',
  pdf: 'pdf',
};

/** Extensions (with the dot) that ingestion reads, for messages and file pickers. */
export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(FORMAT_BY_EXTENSION).map(
  (extension) => `.${extension}`,
);

export function fileExtension(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

/** The format a file name announces, or null when ingestion does not read that kind of file. */
export function detectFormat(name: string): FileFormat | null {
  return FORMAT_BY_EXTENSION[fileExtension(name)] ?? null;
}
