/** Shared data shapes of Lumina's core. Everything here is structured-clone friendly. */

export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Metadata = Record<string, JsonValue>;

/** A text as ingestion produces it, before it is stored. */
export interface SourceDocument {
  /** Stable id: the record's own id field when it has one, else derived from source and position. */
  id: string;
  /** Path of the file it came from (relative path inside a picked folder), or `paste:<n>`. */
  source: string;
  text: string;
  metadata: Metadata;
}

export type MessageLevel = 'error' | 'warning' | 'info';

/** A per-file message shown to the user: names the file and, where known, line and field. */
export interface FileMessage {
  file: string;
  level: MessageLevel;
  message: string;
  line?: number;
  field?: string;
}

export type FileFormat =
  | 'txt'
  | 'md'
  | 'json'
  | 'jsonl'
  | 'csv'
  | 'tsv'
  | 'pdf'
  | 'paste'
  /** A split of a Hugging Face Hub dataset, read from its Parquet export. */
  | 'hub';

/** A chunk of a document; `text === document.text.slice(charStart, charEnd)`. */
export interface TextChunk {
  index: number;
  text: string;
  charStart: number;
  charEnd: number;
  tokenCount: number;
}

export type SplitName = 'train' | 'validation' | 'test';
