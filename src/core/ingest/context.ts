import type { DocumentBatcher } from './document-batcher.ts';
import type { FileStream } from './file-stream.ts';
import type { MessageLog } from './messages.ts';
import type { IngestInput, IngestOptions } from './types.ts';

/** What every format reader gets: the file, its stream, the options and where results go. */
export interface FormatContext {
  input: IngestInput;
  options: IngestOptions;
  stream: FileStream;
  log: MessageLog;
  batcher: DocumentBatcher;
  batchSize: number;
  signal?: AbortSignal;
}

export type FormatReader = (context: FormatContext) => Promise<void>;

/** Reads the whole file as text; for formats that need all of it at once. */
export async function readWholeText(context: FormatContext): Promise<string> {
  const pieces: string[] = [];
  for await (const chunk of context.stream.text(context.log)) pieces.push(chunk);
  return pieces.join('');
}
