import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.ts';
import { readBundle, writeBundle, type BundleInput } from '../../../src/core/bundle/index.ts';
import { sampleInput } from '../bundle/fixtures.ts';
import { captureIo } from '../../support/cli-io.ts';

/** The element at `i`, which the test knows is there. */
function item<T>(list: readonly T[], i: number): T {
  const value = list[i];
  if (value === undefined) throw new Error(`no element ${i}`);
  return value;
}

let root: string;
let shardA: string;
let shardB: string;
let otherModel: string;
const full = sampleInput();

/** The sample split in two: doc-a in the first shard, doc-b (twice) and doc-c in the second. */
function part(rows: number[], docs: number[], extra: Partial<BundleInput> = {}): BundleInput {
  const dims = full.model.dims;
  const take = (v: Float32Array, r: number[]) =>
    Float32Array.from(r.flatMap((i) => Array.from(v.subarray(i * dims, (i + 1) * dims))));
  const kept = new Set(docs.map((d) => item(full.documents, d).docId));
  return {
    ...full,
    chunks: rows.map((r) => item(full.chunks, r)),
    embeddings: take(full.embeddings, rows),
    documents: docs.map((d) => item(full.documents, d)),
    docEmbeddings: take(full.docEmbeddings, docs),
    missingDocEmbeddings: [
      ...full.documents
        .filter((d) => !kept.has(d.docId))
        .map((d) => ({ docId: d.docId, source: d.source, reason: 'elsewhere' })),
      ...(full.missingDocEmbeddings ?? []),
    ],
    ...extra,
  };
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lumina-bundle-cli-'));
  shardA = path.join(root, 'a.lumina');
  shardB = path.join(root, 'b.lumina');
  otherModel = path.join(root, 'other.lumina');
  await writeFile(shardA, await writeBundle(part([0, 1, 2], [0, 1])));
  await writeFile(shardB, await writeBundle(part([2, 3], [1])));
  await writeFile(
    otherModel,
    await writeBundle(part([3], [], { model: { ...full.model, normalize: false } })),
  );
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('lumina bundle', () => {
  it('inspect prints the summary as JSON, and exit 1 with the reason for a bad file', async () => {
    const ok = captureIo();
    expect(await runCli(['bundle', 'inspect', shardA], ok.io)).toBe(0);
    const summary = JSON.parse(ok.out.join('\n')) as Record<string, unknown>;
    expect(summary).toMatchObject({ valid: true, counts: { chunks: 3, documents: 2 } });

    const broken = path.join(root, 'broken.lumina');
    await writeFile(broken, (await readFile(shardA)).subarray(0, 200));
    const bad = captureIo();
    expect(await runCli(['bundle', 'inspect', broken], bad.io)).toBe(1);
    expect(JSON.parse(bad.out.join('\n'))).toMatchObject({ valid: false });
    expect(bad.err.join('\n')).toMatch(/not a valid bundle/);
  });

  it('merge writes a bundle that validates, and refuses mismatched shards', async () => {
    const merged = path.join(root, 'merged.lumina');
    const run = captureIo();
    expect(await runCli(['bundle', 'merge', shardA, shardB, '--out', merged], run.io)).toBe(0);
    expect(run.out[0]).toMatch(/4 chunks, 2 document averages, 2 documents without one/);
    const bundle = await readBundle(await readFile(merged));
    expect(bundle.chunks).toEqual(full.chunks);
    expect(Array.from(bundle.embeddings)).toEqual(Array.from(full.embeddings));

    const refused = path.join(root, 'refused.lumina');
    const fail = captureIo();
    expect(await runCli(['bundle', 'merge', shardA, otherModel, '--out', refused], fail.io)).toBe(
      1,
    );
    expect(fail.err.join('\n')).toMatch(/other\.lumina has model\.normalize false/);
    await expect(stat(refused)).rejects.toThrow();
    await expect(stat(`${refused}.partial`)).rejects.toThrow();

    const usage = captureIo();
    expect(await runCli(['bundle', 'merge', shardA, '--out', refused], usage.io)).toBe(2);
  });

  it('export-projector and export-jsonl write the chunk files', async () => {
    const dir = path.join(root, 'projector');
    expect(await runCli(['bundle', 'export-projector', shardA, '--out', dir], captureIo().io)).toBe(
      0,
    );
    const vectors = (await readFile(path.join(dir, 'vectors.tsv'), 'utf8')).trimEnd().split('\n');
    const metadata = (await readFile(path.join(dir, 'metadata.tsv'), 'utf8')).trimEnd().split('\n');
    expect(vectors).toHaveLength(3);
    expect(metadata).toEqual([
      'id\tdoc_id\tsource\ttext',
      ...full.chunks
        .slice(0, 3)
        .map((c) =>
          [`${c.docId}#${c.chunkIndex}`, c.docId, c.source, c.text.replaceAll('\n', '\\n')].join(
            '\t',
          ),
        ),
    ]);

    const jsonl = path.join(root, 'chunks.jsonl');
    expect(await runCli(['bundle', 'export-jsonl', shardB, '--out', jsonl], captureIo().io)).toBe(
      0,
    );
    const lines = (await readFile(jsonl, 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['doc-b#0', 'doc-c#0']);
  });
});
