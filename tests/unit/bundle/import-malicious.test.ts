import { zipSync } from 'fflate';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BundleError, writeBundle } from '../../../src/core/bundle/index.ts';
import { importBundle } from '../../../src/core/bundle/import-bundle.ts';
import { validateBundle } from '../../../src/core/bundle/validate-bundle.ts';
import { encodeSafetensors } from '../../../src/core/model/safetensors.ts';
import type { LuminaStore } from '../../../src/core/store/index.ts';
import { openTestStore } from '../embed/job/fixtures.ts';
import { DIMS, ramp, repack, sampleInput } from './fixtures.ts';

let good: Uint8Array;
let store: LuminaStore;
beforeAll(async () => {
  good = await writeBundle(sampleInput());
});
beforeEach(async () => {
  store = await openTestStore();
  // One existing dataset, which a refused import must leave alone.
  await store.createDataset('existing');
});
afterEach(() => store.close());

async function expectRefused(
  bundle: Uint8Array,
  message: RegExp,
  limits: Parameters<typeof importBundle>[2] = {},
): Promise<void> {
  const error: unknown = await importBundle(store, bundle, limits).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BundleError);
  expect((error as Error).message).toMatch(message);
  const datasets = await store.listDatasets();
  expect(datasets.map((d) => d.name)).toEqual(['existing']);
}

const enc = (text: string) => new TextEncoder().encode(text);

/** Writes `value` as a little-endian u32 at every central-directory size field of `name`. */
function patchCentralSize(zip: Uint8Array, name: string, value: number): Uint8Array {
  const out = zip.slice();
  const view = new DataView(out.buffer);
  const target = enc(name);
  for (let at = 0; at + 46 < out.length; at += 1) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const length = view.getUint16(at + 28, true);
    const nameBytes = out.subarray(at + 46, at + 46 + length);
    if (length === target.length && nameBytes.every((b, i) => b === target[i])) {
      view.setUint32(at + 24, value, true);
    }
  }
  return out;
}

describe('importBundle refuses malicious or broken bundles and writes nothing', () => {
  it('a zip bomb (an extra listed file with a huge compression ratio)', async () => {
    const bomb = await repack(good, (files) => (files['pad.bin'] = new Uint8Array(4_000_000)), {
      rehash: true,
    });
    await expectRefused(bomb, /^pad\.bin: inflates \d+× .*zip bomb/);
  });

  it('an entry that inflates past the size its central directory declares', async () => {
    const lying = await repack(good, (files) => (files['pad.bin'] = enc('x'.repeat(50))), {
      rehash: true,
    });
    await expectRefused(
      patchCentralSize(lying, 'pad.bin', 10),
      /^pad\.bin: inflates past its declared 10 bytes/,
    );
  });

  it('oversize entries, oversize totals, too many entries, an oversize file', async () => {
    await expectRefused(
      good,
      /^manifest\.json: is 1\d{3} bytes uncompressed, over the 100-byte limit per file/,
      {
        limits: { maxFileBytes: 100 },
      },
    );
    await expectRefused(good, /entries add up to more than 1000 bytes/, {
      limits: { maxTotalBytes: 1000 },
    });
    await expectRefused(good, /has 4 entries; a bundle has at most 3/, {
      limits: { maxEntries: 3 },
    });
    await expectRefused(good, /^The file is \d+ bytes, over the 500-byte bundle limit/, {
      limits: { maxZipBytes: 500 },
    });
  });

  it('path traversal and absolute names', async () => {
    for (const name of ['../x', 'a/../../x', '/etc/passwd', 'dir\\x']) {
      const zip = zipSync({ 'manifest.json': enc('{}'), [name]: enc('x') });
      await expectRefused(zip, /path traversal/);
    }
  });

  it('duplicate entry names', async () => {
    const zip = zipSync({ 'manifest.json': enc('{}'), 'a.bin': enc('x'), 'b.bin': enc('y') });
    const renamed = zip.slice();
    // Rename every "b.bin" (local and central) to "a.bin".
    for (let i = 0; i + 5 <= renamed.length; i += 1) {
      if (new TextDecoder().decode(renamed.subarray(i, i + 5)) === 'b.bin') renamed[i] = 0x61;
    }
    await expectRefused(renamed, /^a\.bin: appears twice in the zip/);
  });

  it('a wrong sha256', async () => {
    const bad = await repack(
      good,
      (_, manifest) => {
        const entry = manifest.files['chunks.parquet'];
        if (entry) entry.sha256 = '0'.repeat(64);
      },
      { rehash: false },
    );
    await expectRefused(bad, /^chunks\.parquet: sha256 .* does not match manifest\.json/);
  });

  it('NaN or Infinity in a tensor', async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const input = sampleInput();
      const embeddings = input.embeddings.slice();
      embeddings[5] = bad;
      const bundle = await repack(
        good,
        (files) => {
          files['embeddings.safetensors'] = encodeSafetensors({
            embeddings: { dtype: 'F32', shape: [4, DIMS], data: embeddings },
            doc_embeddings: { dtype: 'F32', shape: [2, DIMS], data: input.docEmbeddings },
          });
        },
        { rehash: true },
      );
      await expectRefused(
        bundle,
        /^embeddings\.safetensors: tensor "embeddings".*(NaN|finite|infinite)/i,
      );
    }
  });

  it('dims that disagree between the manifest and the tensors', async () => {
    const bad = await repack(good, (_, manifest) => (manifest.model.dims = DIMS + 1), {
      rehash: false,
    });
    await expectRefused(bad, /^embeddings\.safetensors: .*shape/);
  });

  it('row counts that disagree with the manifest', async () => {
    const bad = await repack(good, (_, manifest) => (manifest.counts.chunks = 5), {
      rehash: false,
    });
    await expectRefused(bad, /^embeddings\.safetensors: .*shape|chunks\.parquet: .*rows/);
    const tensors = await repack(
      good,
      (files) => {
        files['embeddings.safetensors'] = encodeSafetensors({
          embeddings: { dtype: 'F32', shape: [3, DIMS], data: ramp(3 * DIMS, 0) },
          doc_embeddings: { dtype: 'F32', shape: [2, DIMS], data: ramp(2 * DIMS, 0) },
        });
      },
      { rehash: true },
    );
    await expectRefused(tensors, /^embeddings\.safetensors: .*shape/);
  });

  it('format version 99 asks to update Lumina', async () => {
    const bad = await repack(good, (_, manifest) => (manifest.formatVersion = 99), {
      rehash: false,
    });
    await expectRefused(bad, /^manifest\.json: formatVersion 99 is not supported.*update Lumina/);
  });

  it('a missing listed file, and an unlisted extra file', async () => {
    const missing = await repack(good, (files) => delete files['documents.parquet'], {
      rehash: false,
    });
    await expectRefused(missing, /^documents\.parquet: is listed in manifest\.json but missing/);
    const extra = await repack(good, (files) => (files['extra.txt'] = enc('hi')), {
      rehash: false,
    });
    await expectRefused(extra, /^extra\.txt: is not listed in manifest\.json files/);
  });

  it('accepts an extra file listed with its hash (the format doc allows it)', async () => {
    const listed = await repack(good, (files) => (files['extra.txt'] = enc('hi')), {
      rehash: true,
    });
    const result = await importBundle(store, listed);
    expect(result.duplicate).toBe(false);
    expect(await store.listDatasets()).toHaveLength(2);
  });

  it('a truncated zip, and bytes that are no zip at all', async () => {
    await expectRefused(good.subarray(0, good.length - 40), /Not a readable bundle zip/);
    await expectRefused(good.subarray(0, Math.floor(good.length / 2)), /Not a readable bundle zip/);
    await expectRefused(enc('hello, not a zip'), /Not a readable bundle zip/);
  });

  it('validateBundle alone reports the same errors without a store', async () => {
    await expect(validateBundle(enc('nope'))).rejects.toThrow(/Not a readable bundle zip/);
    const ok = await validateBundle(good);
    expect(ok.bundle.chunks).toHaveLength(4);
    expect(ok.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
