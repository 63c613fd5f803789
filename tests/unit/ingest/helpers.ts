import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ingestFile,
  type IngestControl,
  type IngestFileResult,
  type IngestOptions,
} from '../../../src/core/ingest/index.ts';
import type { SourceDocument } from '../../../src/core/types.ts';
import { ChunkedBlob } from '../../support/fixtures/chunked-blob.ts';

export const sharedDir = fileURLToPath(new URL('../../../../shared/', import.meta.url));

export function datasetPath(relative: string): string {
  return path.join(sharedDir, 'datasets', relative);
}

export interface Ingested {
  result: IngestFileResult;
  docs: SourceDocument[];
  batches: number[];
}

/** Ingests a file on disk, read the way the Node side of the app reads it (fs.openAsBlob). */
export async function ingestPath(
  filePath: string,
  options: IngestOptions = {},
  control: IngestControl = {},
  relativeName = path.basename(filePath),
): Promise<Ingested> {
  const blob = await openAsBlob(filePath);
  return collect(relativeName, blob, options, control);
}

/** Ingests bytes or text given in the test, optionally streamed in tiny chunks. */
export function ingestBytes(
  name: string,
  content: string | Uint8Array,
  options: IngestOptions = {},
  control: IngestControl & { chunkSize?: number } = {},
): Promise<Ingested> {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const blob = control.chunkSize
    ? new ChunkedBlob(bytes, control.chunkSize)
    : new Blob([bytes as Uint8Array<ArrayBuffer>]);
  return collect(name, blob, options, control);
}

async function collect(
  name: string,
  blob: Blob,
  options: IngestOptions,
  control: IngestControl,
): Promise<Ingested> {
  const docs: SourceDocument[] = [];
  const batches: number[] = [];
  const result = await ingestFile(
    { name: path.basename(name), path: name, blob },
    options,
    async (batch) => {
      batches.push(batch.length);
      docs.push(...batch);
    },
    control,
  );
  return { result, docs, batches };
}

/** A scratch folder in the OS temp dir for generated odd files; remove it in afterAll. */
export function scratchDir(): {
  dir: string;
  write: (name: string, content: string | Uint8Array) => string;
  remove: () => void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'lumina-ingest-'));
  return {
    dir,
    write: (name, content) => {
      const file = path.join(dir, name);
      writeFileSync(file, content);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function messagesOf(
  result: IngestFileResult,
  level?: 'error' | 'warning' | 'info',
): string[] {
  return result.messages.filter((m) => !level || m.level === level).map((m) => m.message);
}
