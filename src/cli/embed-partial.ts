/**
 * The CLI's resumable state, kept in `<out>.partial/` beside the bundle.
 *
 * Why its own append-only files and not the app's IndexedDB store: Node has no persistent
 * IndexedDB (fake-indexeddb lives in memory, so a killed run would lose everything), and the
 * browser job's adaptive re-batching would make a resumed run differ from an uninterrupted one.
 * Here the batches are fixed when the run is planned, so every batch has the same texts and
 * shape whether or not the run was interrupted, and the bundle comes out byte-identical:
 *
 * - `chunks.jsonl`, `documents.jsonl`: the chunking result, written once;
 * - `plan.json`: what the state was made from (inputs' sha256, model, settings), `created`, and
 *   the batches; written last, by rename, so its presence means the files above are complete;
 * - `vectors.f32`: raw float32 rows appended after each batch, in batch order, fsync'd;
 * - `done.jsonl`: one line per finished batch, appended (and fsync'd) after its vectors, so a
 *   line only ever names rows already on disk. Batches run in plan order: the done lines are a
 *   prefix of the plan, and a torn last line or extra vector bytes are simply cut off.
 */

import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { BundleDocument, MissingDocEmbedding } from '../core/bundle/index.ts';
import type { JsonValue } from '../core/types.ts';
import type { PlannedChunk } from './embed-inputs.ts';

export const PARTIAL_FORMAT = 'lumina-embed-partial';

/** Everything a run's output depends on; a state made from anything else is discarded. */
export type Fingerprint = Record<string, JsonValue>;

export interface EmbedPlan {
  format: typeof PARTIAL_FORMAT;
  fingerprint: Fingerprint;
  created: string;
  dims: number;
  chunks: number;
  missing: MissingDocEmbedding[];
  /** Rows of chunks.jsonl per batch, in run order. */
  batches: number[][];
}

export interface PartialState {
  plan: EmbedPlan;
  /** Batches already finished (a prefix of `plan.batches`). */
  doneBatches: number;
}

const files = (dir: string) => ({
  plan: path.join(dir, 'plan.json'),
  chunks: path.join(dir, 'chunks.jsonl'),
  documents: path.join(dir, 'documents.jsonl'),
  vectors: path.join(dir, 'vectors.f32'),
  done: path.join(dir, 'done.jsonl'),
});

export function partialDir(out: string): string {
  return `${out}.partial`;
}

/** The state in `dir` when it was made from `fingerprint`, with any torn tail cut off. */
export async function openPartial(
  dir: string,
  fingerprint: Fingerprint,
): Promise<PartialState | undefined> {
  const paths = files(dir);
  let plan: EmbedPlan;
  try {
    plan = JSON.parse(await readFile(paths.plan, 'utf8')) as EmbedPlan;
  } catch {
    return undefined;
  }
  if (
    plan.format !== PARTIAL_FORMAT ||
    JSON.stringify(plan.fingerprint) !== JSON.stringify(fingerprint)
  ) {
    return undefined;
  }
  const doneText = await readFile(paths.done, 'utf8').catch(() => '');
  const lines = doneText.split('\n').slice(0, -1);
  let doneBatches = 0;
  for (const line of lines) {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      break;
    }
    if ((entry as { batch?: unknown }).batch !== doneBatches) break;
    doneBatches += 1;
  }
  const rows = plan.batches.slice(0, doneBatches).reduce((sum, b) => sum + b.length, 0);
  const vectorBytes = rows * plan.dims * 4;
  const handle = await open(paths.vectors, 'a+');
  const size = (await handle.stat()).size;
  await handle.close();
  if (size < vectorBytes) return undefined;
  await truncate(paths.vectors, vectorBytes);
  await writeFile(
    paths.done,
    lines
      .slice(0, doneBatches)
      .map((line) => `${line}\n`)
      .join(''),
  );
  return { plan, doneBatches };
}

/** Starts a fresh state: any old one is removed, the plan is written last. */
export async function createPartial(
  dir: string,
  plan: EmbedPlan,
  chunks: readonly PlannedChunk[],
  documents: readonly BundleDocument[],
): Promise<PartialState> {
  const paths = files(dir);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeJsonLines(paths.chunks, chunks);
  await writeJsonLines(paths.documents, documents);
  await writeFile(paths.vectors, new Uint8Array(0));
  await writeFile(paths.done, '');
  const temporary = `${paths.plan}.tmp`;
  await writeFile(temporary, JSON.stringify(plan));
  await rename(temporary, paths.plan);
  return { plan, doneBatches: 0 };
}

/** Appends finished batches: vectors first, then the done line, each synced to disk. */
export class BatchAppender {
  private constructor(
    private readonly vectors: Awaited<ReturnType<typeof open>>,
    private readonly done: Awaited<ReturnType<typeof open>>,
  ) {}

  static async open(dir: string): Promise<BatchAppender> {
    const paths = files(dir);
    return new BatchAppender(await open(paths.vectors, 'a'), await open(paths.done, 'a'));
  }

  async append(batch: number, vectors: Float32Array): Promise<void> {
    await this.vectors.write(
      new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength),
    );
    await this.vectors.sync();
    await this.done.write(`${JSON.stringify({ batch })}\n`);
    await this.done.sync();
  }

  async close(): Promise<void> {
    await this.vectors.close();
    await this.done.close();
  }
}

export async function readChunks(dir: string): Promise<PlannedChunk[]> {
  return readJsonLines<PlannedChunk>(files(dir).chunks);
}

export async function readDocuments(dir: string): Promise<BundleDocument[]> {
  return readJsonLines<BundleDocument>(files(dir).documents);
}

/** Rows of vectors.f32, in batch order. */
export async function readVectors(dir: string): Promise<Float32Array> {
  const bytes = await readFile(files(dir).vectors);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

async function writeJsonLines(file: string, rows: readonly object[]): Promise<void> {
  const handle = await open(file, 'w');
  try {
    let buffer = '';
    for (const row of rows) {
      buffer += `${JSON.stringify(row)}\n`;
      if (buffer.length > 1 << 20) {
        await handle.write(buffer);
        buffer = '';
      }
    }
    await handle.write(buffer);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readJsonLines<T>(file: string): Promise<T[]> {
  const rows: T[] = [];
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line.length > 0) rows.push(JSON.parse(line) as T);
  return rows;
}
