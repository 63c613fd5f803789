import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingModel } from '../../../../src/core/embed/runtime/index.ts';
import {
  decodeSafetensors,
  tensorToFloat32,
  type ModelFolder,
} from '../../../../src/core/model/index.ts';
import { tinySeededModel } from '../../../support/shared-data.ts';
import {
  meanPool,
  referenceBertForward,
  type ReferenceTensor,
} from '../../../support/reference-bert.ts';

/**
 * The same runtime in Node (onnxruntime-node's CPU provider stands in for wasm), as the CLI will
 * use it: a Lumina-written folder from memory and from a URL, checked against the reference.
 */
const texts = ['Cells divide by mitosis.', 'A', 'The quick brown fox jumps over the lazy dog'];

let folder: ModelFolder;
let weights: Map<string, ReferenceTensor>;
let server: Server;
let baseUrl: string;
const requested: string[] = [];

beforeAll(async () => {
  folder = await tinySeededModel(3);
  weights = new Map();
  const safetensors = folder.files.get('model.safetensors');
  if (!safetensors) throw new Error('no model.safetensors');
  for (const [name, tensor] of decodeSafetensors(safetensors).tensors) {
    weights.set(name, { shape: tensor.shape, data: tensorToFloat32(tensor) });
  }
  server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '').replace(/^\/models\/tiny\//, ''));
    requested.push(request.url ?? '');
    const file = folder.files.get(path);
    response.statusCode = file ? 200 : 404;
    response.end(file ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/tiny/`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function loadFiles(options = {}) {
  return EmbeddingModel.load({ kind: 'files', files: folder.files, name: 'tiny' }, options);
}

describe('EmbeddingModel in Node', () => {
  it('matches the reference forward pass on a folder given as files', async () => {
    const model = await loadFiles({ normalize: false });
    try {
      expect(model.info).toMatchObject({ name: 'tiny', dims: 32, maxTokens: 256, pooling: 'mean' });
      const states = await model.hiddenStates(texts, 'document');
      const { batch, seq } = states.tokens;
      const rows = (values: Int32Array) =>
        Array.from({ length: batch }, (_, b) =>
          Array.from(values.subarray(b * seq, (b + 1) * seq)),
        );
      const attentionMask = rows(states.tokens.attentionMask);
      const reference = referenceBertForward(folder.config, weights, {
        inputIds: rows(states.tokens.inputIds),
        attentionMask,
      });
      expect(maxAbsDiff(states.data, reference.data)).toBeLessThanOrEqual(1e-4);
      const pooled = await model.embed(texts, 'document');
      const expected = meanPool(reference, attentionMask).flatMap((row) => Array.from(row));
      expect(maxAbsDiff(pooled, expected)).toBeLessThanOrEqual(1e-4);
    } finally {
      await model.dispose();
    }
  });

  it('loads the same folder from a URL, asking that server only', async () => {
    const fromFiles = await loadFiles();
    const expected = await fromFiles.embed(texts, 'query');
    await fromFiles.dispose();

    const model = await EmbeddingModel.load({ kind: 'url', baseUrl });
    try {
      expect(model.info).toMatchObject({ source: 'url', name: baseUrl, dims: 32 });
      expect(maxAbsDiff(await model.embed(texts, 'query'), expected)).toBe(0);
    } finally {
      await model.dispose();
    }
    expect(requested.length).toBeGreaterThan(0);
    for (const url of requested) expect(url).toMatch(/^\/models\/tiny\//);
    // Each file once per load, though transformers.js asks for some twice.
    expect(new Set(requested).size).toBe(requested.length);
  });

  it('refuses to embed once disposed', async () => {
    const model = await loadFiles();
    await model.dispose();
    await expect(model.embed(['x'], 'document')).rejects.toThrow(/disposed/);
  });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}
