import type { FileMessage, SourceDocument } from '../types.ts';
import type { IngestOptions } from './types.ts';

/** Pasted text as one document with id and source `paste:<index>`. */
export function ingestPaste(
  text: string,
  options: IngestOptions & { index: number },
): { documents: SourceDocument[]; messages: FileMessage[] } {
  const id = `paste:${options.index}`;
  const clean = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (clean.trim() === '') {
    return {
      documents: [],
      messages: [{ file: id, level: 'error', message: 'the pasted text is empty' }],
    };
  }
  return { documents: [{ id, source: id, text: clean, metadata: {} }], messages: [] };
}
