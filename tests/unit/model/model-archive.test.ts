import { createHash } from 'node:crypto';
import { strToU8, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkModelLayout,
  ModelArchiveError,
  modelFromZip,
  modelZip,
} from '../../../src/core/model/model-archive.ts';
import {
  importModel,
  listRunnableModels,
  storedModelFiles,
  storedModelZip,
} from '../../../src/core/model/stored-models.ts';
import type { ModelFolder } from '../../../src/core/model/index.ts';
import { openTestStore } from '../store/indexeddb-env.ts';
import { tinySeededModel } from '../../support/shared-data.ts';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function digests(files: ReadonlyMap<string, Uint8Array>): Record<string, string> {
  return Object.fromEntries([...files].map(([path, bytes]) => [path, sha256(bytes)]).sort());
}

let model: ModelFolder;
beforeAll(async () => {
  model = await tinySeededModel(3);
});

describe('model zip', () => {
  it('round-trips every file of a seeded HF folder byte for byte, paths at the zip root', async () => {
    const zip = await modelZip(model.files, 'tiny');
    const read = await modelFromZip(zip);
    expect(read.has('onnx/model.onnx')).toBe(true);
    expect(read.has('config.json')).toBe(true);
    expect(digests(read)).toEqual(digests(model.files));
    expect(checkModelLayout(read.keys())).toEqual([]);
  });

  it('stores weights and deflates text files', async () => {
    const zip = await modelZip(model.files, 'tiny');
    const raw = [...model.files.values()].reduce((sum, bytes) => sum + bytes.byteLength, 0);
    const text = ['tokenizer.json', 'config.json'].reduce(
      (sum, path) => sum + (model.files.get(path)?.byteLength ?? 0),
      0,
    );
    // tokenizer.json deflates severalfold, so the zip is well under the raw total.
    expect(zip.byteLength).toBeLessThan(raw - text / 2);
    // The ONNX bytes appear verbatim (stored, not deflated).
    const onnx = model.files.get('onnx/model.onnx') ?? new Uint8Array();
    expect(Buffer.from(zip).includes(Buffer.from(onnx.subarray(0, 4096)))).toBe(true);
  });

  it('strips one top-level folder shared by every entry', async () => {
    const nested = Object.fromEntries(
      [...model.files].map(([path, bytes]) => [`tiny-minilm/${path}`, bytes]),
    );
    const read = await modelFromZip(zipSync({ ...nested, 'tiny-minilm/': new Uint8Array() }));
    expect(digests(read)).toEqual(digests(model.files));
  });

  it('keeps paths when the entries do not share one top folder', async () => {
    const read = await modelFromZip(
      zipSync({ 'a/config.json': strToU8('{}'), 'b/tokenizer.json': strToU8('{}') }),
    );
    expect([...read.keys()].sort()).toEqual(['a/config.json', 'b/tokenizer.json']);
  });

  it('refuses an entry whose name climbs out of the folder', async () => {
    const zip = zipSync({
      'config.json': strToU8('{}'),
      'onnx/../../evil.sh': strToU8('rm -rf /'),
    });
    await expect(modelFromZip(zip)).rejects.toThrow(ModelArchiveError);
    await expect(modelFromZip(zip)).rejects.toThrow(/onnx\/\.\.\/\.\.\/evil\.sh.*path traversal/);
    await expect(modelFromZip(zipSync({ '/etc/passwd': strToU8('x') }))).rejects.toThrow(
      /not a relative path/,
    );
  });

  it('refuses more entries than the limit and entries that inflate too far', async () => {
    const many = Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [`f${i}.txt`, strToU8('x')]),
    );
    const limits = {
      maxZipBytes: 1e9,
      maxTotalBytes: 1e9,
      maxFileBytes: 1e9,
      maxEntries: 4,
      maxRatio: 200,
    };
    await expect(modelFromZip(zipSync(many), { limits })).rejects.toThrow(/5 entries/);
    const bomb = zipSync({ 'zeros.txt': new Uint8Array(1 << 20) }, { level: 9 });
    await expect(modelFromZip(bomb, { limits: { ...limits, maxEntries: 10 } })).rejects.toThrow(
      /zip bomb/,
    );
  });

  it('says exactly which runnable file is missing', () => {
    const paths = [...model.files.keys()].filter((path) => path !== 'onnx/model.onnx');
    expect(checkModelLayout(paths)).toEqual([
      'onnx/model.onnx is missing: Lumina runs the fp32 ONNX export at that path (the folder has no .onnx file)',
    ]);
    expect(checkModelLayout(['model.onnx', 'tokenizer.json'])).toEqual([
      'config.json is missing at the top of the model folder',
      'onnx/model.onnx is missing: Lumina runs the fp32 ONNX export at that path (found model.onnx)',
    ]);
  });
});

describe('stored models', () => {
  it('imports a folder, lists it as runnable, loads its files and zips it back', async () => {
    const store = await openTestStore();
    const id = await importModel(store, model.files, 'tiny', { now: 1_700_000_000_000 });
    const record = await store.getModel(id);
    expect(record?.source).toBe('imported');
    expect(record?.config).toEqual(
      JSON.parse(new TextDecoder().decode(model.files.get('config.json'))),
    );
    expect((await listRunnableModels(store)).map((m) => [m.id, m.name, m.fileCount])).toEqual([
      [id, 'tiny', model.files.size],
    ]);
    const files = await storedModelFiles(store, id);
    const loaded = new Map<string, Uint8Array>();
    for (const [path, blob] of files) loaded.set(path, new Uint8Array(await blob.arrayBuffer()));
    expect(digests(loaded)).toEqual(digests(model.files));
    const { bytes, fileName } = await storedModelZip(store, id);
    expect(fileName).toBe('tiny.zip');
    expect(digests(await modelFromZip(bytes))).toEqual(digests(model.files));
  });

  it('refuses a folder that cannot run and stores nothing', async () => {
    const store = await openTestStore();
    const files = new Map(model.files);
    files.delete('tokenizer.json');
    await expect(importModel(store, files, 'broken')).rejects.toThrow(
      'broken cannot run in Lumina: tokenizer.json is missing at the top of the model folder',
    );
    expect(await store.listModels()).toEqual([]);
  });
});
