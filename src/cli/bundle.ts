/**
 * `lumina bundle inspect|merge|export-projector|export-jsonl`: tools over bundle files. Every
 * input is validated in full (the same checks as an import) before anything is written.
 */

import { createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { streamBundle, type Bundle } from '../core/bundle/index.ts';
import {
  jsonlLines,
  projectorMetadataLines,
  projectorVectorLines,
} from '../core/bundle/tools-export.ts';
import { inspectBundle } from '../core/bundle/tools-inspect.ts';
import { mergeBundles } from '../core/bundle/tools-merge.ts';
import { validateBundle } from '../core/bundle/validate-bundle.ts';
import { UsageError, type CliIo } from './cli-types.ts';

interface ParsedArgs {
  positionals: string[];
  out: string | undefined;
}

function parse(args: string[], withOut: boolean): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: true,
      options: withOut ? { out: { type: 'string' } } : {},
    });
    const out = (values as { out?: string }).out;
    return { positionals, out };
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}

function single(parsed: ParsedArgs, what: string): string {
  const [file, ...extra] = parsed.positionals;
  if (file === undefined) throw new UsageError(`give the ${what}`);
  if (extra.length > 0) throw new UsageError(`give one ${what}, got ${parsed.positionals.length}`);
  return file;
}

function requiredOut(parsed: ParsedArgs): string {
  if (!parsed.out) throw new UsageError('--out is required');
  return parsed.out;
}

async function loadBundle(file: string): Promise<Bundle> {
  const { bundle } = await validateBundle(await readFile(file));
  return bundle;
}

/** Prints the manifest summary and validation result as JSON; exits 1 when the bundle is invalid. */
export async function bundleInspectCommand(args: string[], io: CliIo): Promise<void> {
  const file = single(parse(args, false), 'bundle file');
  const inspection = await inspectBundle(await readFile(file));
  io.stdout(JSON.stringify({ file, ...inspection }, null, 2));
  if (!inspection.valid) throw new Error(`${file} is not a valid bundle`);
}

export async function bundleMergeCommand(args: string[], io: CliIo): Promise<void> {
  const parsed = parse(args, true);
  const out = requiredOut(parsed);
  if (parsed.positionals.length < 2) throw new UsageError('give at least two bundles to merge');
  const bundles: Bundle[] = [];
  for (const file of parsed.positionals) {
    try {
      bundles.push(await loadBundle(file));
    } catch (error) {
      throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  const input = mergeBundles(bundles, {
    appVersion: await luminaVersion(),
    names: parsed.positionals.map((file) => path.basename(file)),
  });
  const manifest = await writeAtomically(out, async (handle) => {
    return streamBundle(input, async (chunk) => {
      await handle.write(chunk);
    });
  });
  io.stdout(
    `Merged ${bundles.length} bundles into ${out}: ${manifest.counts.chunks} chunks, ` +
      `${manifest.counts.documents} document averages, ` +
      `${manifest.missingDocEmbeddings.length} documents without one.`,
  );
}

export async function bundleExportProjectorCommand(args: string[], io: CliIo): Promise<void> {
  const parsed = parse(args, true);
  const file = single(parsed, 'bundle file');
  const out = requiredOut(parsed);
  const bundle = await loadBundle(file);
  await mkdir(out, { recursive: true });
  await writeLines(path.join(out, 'vectors.tsv'), projectorVectorLines(bundle));
  await writeLines(path.join(out, 'metadata.tsv'), projectorMetadataLines(bundle));
  io.stdout(
    `Wrote ${bundle.chunks.length} vectors to ${path.join(out, 'vectors.tsv')} and their ` +
      `metadata to ${path.join(out, 'metadata.tsv')}; load both at projector.tensorflow.org.`,
  );
}

export async function bundleExportJsonlCommand(args: string[], io: CliIo): Promise<void> {
  const parsed = parse(args, true);
  const file = single(parsed, 'bundle file');
  const out = requiredOut(parsed);
  const bundle = await loadBundle(file);
  await writeLines(out, jsonlLines(bundle));
  io.stdout(`Wrote ${bundle.chunks.length} chunks to ${out}.`);
}

/** Writes to a temporary name and renames at the end, so a failed merge leaves no half file. */
async function writeAtomically<T>(
  file: string,
  write: (handle: Awaited<ReturnType<typeof open>>) => Promise<T>,
): Promise<T> {
  const partial = `${file}.partial`;
  const handle = await open(partial, 'w');
  try {
    const result = await write(handle);
    await handle.close();
    await rename(partial, file);
    return result;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(partial, { force: true });
    throw error;
  }
}

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const stream = createWriteStream(file);
  try {
    for (const line of lines) {
      if (!stream.write(line)) await once(stream, 'drain');
    }
  } finally {
    stream.end();
    await once(stream, 'close');
  }
}

async function luminaVersion(): Promise<string> {
  const pkg = JSON.parse(
    await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version?: string };
  return pkg.version ?? '0';
}
