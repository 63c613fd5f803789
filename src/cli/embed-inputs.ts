import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { openAsBlob } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { throwIfAborted } from '../core/abort.ts';
import type { BundleChunk, BundleDocument, MissingDocEmbedding } from '../core/bundle/index.ts';
import { chunkText, type ChunkOptions } from '../core/chunk/index.ts';
import { detectFormat, ingestFile } from '../core/ingest/index.ts';
import type { TokenCounter } from '../core/tokenizer/index.ts';
import type { FileMessage } from '../core/types.ts';

export interface InputFile {
  /** As given on the command line, joined with the path inside a walked folder (`/`-separated). */
  path: string;
  sha256: string;
}

/**
 * Files named on the command line are always tried (an unsupported one is then reported);
 * folders are walked recursively for supported extensions only, in sorted order so the same
 * command plans the same chunks.
 */
export async function listInputFiles(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (file: string): void => {
    const key = path.resolve(file);
    if (seen.has(key)) return;
    seen.add(key);
    files.push(file.split(path.sep).join('/'));
  };
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && detectFormat(entry.name) !== null) add(full);
    }
  };
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (info === undefined) throw new Error(`${input}: no such file or folder`);
    if (info.isDirectory()) await walk(input);
    else add(input);
  }
  return files;
}

export async function hashInputFiles(files: readonly string[]): Promise<InputFile[]> {
  const hashed: InputFile[] = [];
  for (const file of files) hashed.push({ path: file, sha256: await sha256OfFile(file) });
  return hashed;
}

export function sha256OfFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (data) => hash.update(data))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** A chunk as planned: a bundle row plus the sequence length the model will see. */
export interface PlannedChunk extends BundleChunk {
  seqTokens: number;
}

export interface ChunkedCorpus {
  chunks: PlannedChunk[];
  documents: BundleDocument[];
  missing: MissingDocEmbedding[];
  /** Files that gave no documents at all. */
  skippedFiles: number;
}

export interface ChunkCorpusControl {
  signal?: AbortSignal;
  /** Every message of a file that had errors or warnings, as ingestion wrote them. */
  onFileMessages?: (file: string, messages: FileMessage[], skipped: boolean) => void;
  onFile?: (done: number, total: number) => void;
}

/**
 * Ingests and chunks every file. A doc id that another file already used gets `#dupN`, as
 * ingestion does within one file, so chunk ids stay unique across the whole bundle.
 */
export async function chunkCorpus(
  files: readonly string[],
  options: ChunkOptions,
  counter: TokenCounter,
  countSeqTokens: (texts: readonly string[]) => Int32Array,
  control: ChunkCorpusControl = {},
): Promise<ChunkedCorpus> {
  const corpus: ChunkedCorpus = { chunks: [], documents: [], missing: [], skippedFiles: 0 };
  const usedIds = new Map<string, number>();
  for (const [index, file] of files.entries()) {
    throwIfAborted(control.signal);
    const blob = await openAsBlob(file);
    const result = await ingestFile(
      { name: path.basename(file), path: file, blob },
      {},
      async (docs) => {
        for (const doc of docs) {
          const docId = uniqueId(doc.id, usedIds);
          const pieces = chunkText(doc.text, options, counter, { signal: control.signal });
          const seq = countSeqTokens(pieces.map((piece) => piece.text));
          pieces.forEach((piece, i) => {
            corpus.chunks.push({
              docId,
              chunkIndex: piece.index,
              source: doc.source,
              text: piece.text,
              charStart: piece.charStart,
              charEnd: piece.charEnd,
              tokenCount: piece.tokenCount,
              metadata: {},
              seqTokens: seq[i] ?? 0,
            });
          });
          if (pieces.length === 0) {
            corpus.missing.push({ docId, source: doc.source, reason: 'no text to embed' });
          } else {
            corpus.documents.push({
              docId,
              source: doc.source,
              charCount: doc.text.length,
              chunkCount: pieces.length,
              metadata: doc.metadata,
            });
          }
        }
        return Promise.resolve();
      },
      { signal: control.signal },
    );
    const skipped = result.documents === 0;
    if (skipped) corpus.skippedFiles += 1;
    if (result.messages.some((m) => m.level !== 'info')) {
      control.onFileMessages?.(file, result.messages, skipped);
    }
    control.onFile?.(index + 1, files.length);
  }
  return corpus;
}

function uniqueId(id: string, used: Map<string, number>): string {
  const seen = used.get(id);
  if (seen === undefined) {
    used.set(id, 1);
    return id;
  }
  let n = seen + 1;
  while (used.has(`${id}#dup${n}`)) n += 1;
  used.set(id, n);
  const unique = `${id}#dup${n}`;
  used.set(unique, 1);
  return unique;
}
