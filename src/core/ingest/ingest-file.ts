import { isAbortError, throwIfAborted } from '../abort.ts';
import type { FileFormat, SourceDocument } from '../types.ts';
import type { FormatContext, FormatReader } from './context.ts';
import { readDelimited } from './csv.ts';
import { DEFAULT_BATCH_SIZE, DocumentBatcher, SinkFailure } from './document-batcher.ts';
import { FileStream } from './file-stream.ts';
import { SUPPORTED_EXTENSIONS, detectFormat, fileExtension } from './formats.ts';
import { readJson } from './json.ts';
import { readJsonl } from './jsonl.ts';
import { readMarkdown } from './markdown.ts';
import { FileContentError, MessageLog } from './messages.ts';
import { readPdf } from './pdf.ts';
import { readTxt } from './txt.ts';
import type { IngestControl, IngestFileResult, IngestInput, IngestOptions } from './types.ts';

const READERS: Readonly<Record<Exclude<FileFormat, 'paste' | 'hub'>, FormatReader>> = {
  txt: readTxt,
  md: readMarkdown,
  json: readJson,
  jsonl: readJsonl,
  csv: (context) => readDelimited(context, 'csv'),
  tsv: (context) => readDelimited(context, 'tsv'),
  pdf: readPdf,
};

/**
 * Reads one file into documents, streamed to `sink` in batches. Problems with the file's content
 * never throw: they become messages in the result, and the good records are kept. Only an abort
 * (AbortError) and a failing sink propagate.
 */
export async function ingestFile(
  input: IngestInput,
  options: IngestOptions,
  sink: (docs: SourceDocument[]) => Promise<void>,
  control: IngestControl = {},
): Promise<IngestFileResult> {
  const format = detectFormat(input.name);
  const log = new MessageLog(input.path);
  const result: IngestFileResult = {
    file: input.path,
    format,
    bytes: input.blob.size,
    contentHash: '',
    documents: 0,
    messages: [],
  };
  throwIfAborted(control.signal);
  const stream = new FileStream(input.blob, control);
  const batchSize = Math.max(1, control.batchSize ?? DEFAULT_BATCH_SIZE);
  const batcher = new DocumentBatcher(input.path, sink, log, batchSize, control.signal);

  if (format === null || format === 'paste' || format === 'hub') {
    const extension = fileExtension(input.name);
    log.error(
      `unsupported file type${extension ? ` ".${extension}"` : ''}; supported: ${SUPPORTED_EXTENSIONS.join(', ')}`,
    );
  } else if (input.blob.size === 0) {
    await drain(stream);
    log.error('empty file');
  } else {
    const context: FormatContext = {
      input,
      options,
      stream,
      log,
      batcher,
      batchSize,
      signal: control.signal,
    };
    await runReader(READERS[format], context);
  }

  result.documents = batcher.documents;
  if (result.documents === 0 && !log.hasErrors()) log.error('no documents found in this file');
  result.contentHash = stream.contentHash;
  result.messages = log.finish();
  return result;
}

async function runReader(reader: FormatReader, context: FormatContext): Promise<void> {
  try {
    await reader(context);
    await context.batcher.flush();
  } catch (error) {
    if (isAbortError(error)) throw error;
    if (error instanceof SinkFailure) throw error.failure;
    if (error instanceof FileContentError) context.log.error(error.message, error.where);
    else
      context.log.error(
        `could not read the file: ${error instanceof Error ? error.message : String(error)}`,
      );
    // Keep what was read before the failure.
    try {
      await context.batcher.flush();
    } catch (flushError) {
      throw flushError instanceof SinkFailure ? flushError.failure : flushError;
    }
  }
}

async function drain(stream: FileStream): Promise<void> {
  for await (const chunk of stream.bytes()) void chunk;
}
