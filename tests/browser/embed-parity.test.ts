import * as Comlink from 'comlink';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmbeddingOptions, TextKind } from '../../src/core/embed/runtime/index.ts';
import { buildSeededModelFolder, type ModelFolder } from '../../src/core/model/index.ts';
import { decodeSafetensors, tensorToFloat32 } from '../../src/core/model/safetensors.ts';
import type { Progress } from '../../src/core/progress.ts';
import { loadTokenizer } from '../../src/core/tokenizer/index.ts';
import { embedClient } from '../../src/lib/clients.ts';
import {
  l2Normalize,
  meanPool,
  referenceBertForward,
  type HiddenStates,
  type ReferenceTensor,
} from '../support/reference-bert.ts';
import {
  minilmConfigJson,
  minilmTokenizerConfigText,
  minilmTokenizerFiles,
  minilmTokenizerText,
  tinyBertConfigJson,
} from './minilm-helpers.ts';

/**
 * transformers.js in the real embed worker, on the model folder Lumina writes, against the plain
 * TypeScript reference forward pass over the same safetensors weights. Nothing is fetched: the
 * folder goes to the worker as files, the tokenizer comes from ../shared.
 */

const TOLERANCE = 1e-4;
const CLS = 101;
const SEP = 102;

const texts = [
  'Proteins fold into three-dimensional structures determined by their amino acid sequence.',
  'A',
  'Héllo wörld: naïve café, 42 tokens?',
  'Short query about cell biology',
];

/** Lumina's own tokenizer wrapper: an independent check of the ids the worker feeds the model. */
const luminaTokenizer = loadTokenizer(
  JSON.parse(minilmTokenizerText),
  JSON.parse(minilmTokenizerConfigText),
);

interface Seeded {
  folder: ModelFolder;
  weights: Map<string, ReferenceTensor>;
}

async function seededModel(configJson: unknown, seed: number): Promise<Seeded> {
  const folder = await buildSeededModelFolder({
    configJson,
    seed,
    tokenizerFiles: minilmTokenizerFiles(),
  });
  const safetensors = folder.files.get('model.safetensors');
  if (!safetensors) throw new Error('no model.safetensors');
  const weights = new Map<string, ReferenceTensor>();
  for (const [name, tensor] of decodeSafetensors(safetensors).tensors) {
    weights.set(name, { shape: tensor.shape, data: tensorToFloat32(tensor) });
  }
  return { folder, weights };
}

async function load(seeded: Seeded, options: EmbeddingOptions, files = seeded.folder.files) {
  return embedClient.call((api) =>
    api.load({ kind: 'files', files, name: 'seeded' }, { dtype: 'fp32', ...options }),
  );
}

async function workerStates(batch: readonly string[], kind: TextKind = 'document') {
  return embedClient.call((api) => api.hiddenStates([...batch], kind));
}

async function embed(batch: readonly string[], kind: TextKind = 'document') {
  return embedClient.call((api) => api.embed([...batch], kind));
}

/** The reference forward pass over exactly the ids the worker used. */
function reference(seeded: Seeded, states: Awaited<ReturnType<typeof workerStates>>) {
  const rows = (values: Int32Array) =>
    Array.from({ length: states.batch }, (_, b) =>
      Array.from(values.subarray(b * states.seq, (b + 1) * states.seq)),
    );
  const attentionMask = rows(states.attentionMask);
  const hidden = referenceBertForward(seeded.folder.config, seeded.weights, {
    inputIds: rows(states.inputIds),
    attentionMask,
  });
  return { hidden, attentionMask };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

function rowsOf(vectors: Float32Array, width: number): Float32Array[] {
  return Array.from({ length: vectors.length / width }, (_, r) =>
    vectors.subarray(r * width, (r + 1) * width),
  );
}

function norm(vector: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] ?? 0) ** 2;
  return Math.sqrt(sum);
}

/** Token vector at (b, s) of the reference hidden states. */
function tokenVector(hidden: HiddenStates, b: number, s: number): Float64Array {
  const start = (b * hidden.seq + s) * hidden.hidden;
  return hidden.data.slice(start, start + hidden.hidden);
}

/** Expected ids: [CLS] + Lumina's tokenizer's ids + [SEP], cut to maxTokens keeping [SEP]. */
function expectedIds(text: string, maxTokens: number): number[] {
  const content = luminaTokenizer.encode(text).ids.slice(0, maxTokens - 2);
  return [CLS, ...content, SEP];
}

function idsOf(states: Awaited<ReturnType<typeof workerStates>>, b: number): number[] {
  const row = states.inputIds.subarray(b * states.seq, (b + 1) * states.seq);
  return Array.from(row.subarray(0, states.lengths[b]));
}

interface Parity {
  hidden: number;
  pooled: number;
  loadMs: number;
  runMs: number;
}

/** Loads the folder on a device and compares last_hidden_state and mean pooling to the reference. */
async function parity(seeded: Seeded, device: 'wasm' | 'webgpu'): Promise<Parity> {
  const t0 = performance.now();
  const info = await load(seeded, { device, normalize: false, pooling: 'mean' });
  const t1 = performance.now();
  expect(info).toMatchObject({ device, dtype: 'fp32', dims: seeded.folder.config.hiddenSize });
  const states = await workerStates(texts);
  const pooled = await embed(texts);
  const t2 = performance.now();
  texts.forEach((text, b) => expect(idsOf(states, b)).toEqual(expectedIds(text, info.maxTokens)));

  const ref = reference(seeded, states);
  const refPooled = meanPool(ref.hidden, ref.attentionMask);
  const result = {
    hidden: maxAbsDiff(states.data, ref.hidden.data),
    pooled: maxAbsDiff(
      pooled,
      refPooled.flatMap((row) => Array.from(row)),
    ),
    loadMs: Math.round(t1 - t0),
    runMs: Math.round(t2 - t1),
  };
  console.info(`[embed-parity] ${device} ${seeded.folder.config.hiddenSize}d`, result);
  expect(result.hidden).toBeLessThanOrEqual(TOLERANCE);
  expect(result.pooled).toBeLessThanOrEqual(TOLERANCE);
  return result;
}

let minilmPromise: Promise<Seeded> | null = null;

/** Architecture-identical to all-MiniLM-L6-v2 (22.7M parameters), built once for both devices. */
function minilmShaped(): Promise<Seeded> {
  minilmPromise ??= seededModel(minilmConfigJson, 11).then(({ folder, weights }) => {
    // The worker only needs the ONNX side; the reference keeps the decoded weights.
    const files = new Map(folder.files);
    files.delete('model.safetensors');
    return { folder: { ...folder, files }, weights };
  });
  return minilmPromise;
}

describe('embed worker on a Lumina-written model folder', () => {
  let tiny: Seeded;

  beforeAll(async () => {
    tiny = await seededModel(tinyBertConfigJson, 7);
  });
  afterAll(() => embedClient.terminate());

  it('matches the reference forward pass on WASM (tiny)', async () => {
    await parity(tiny, 'wasm');
  });

  it('matches the reference forward pass on WebGPU (tiny)', async () => {
    const adapter = await navigator.gpu.requestAdapter();
    expect(adapter, 'Chromium must run with --enable-unsafe-webgpu').not.toBeNull();
    await parity(tiny, 'webgpu');
  });

  it('matches the reference forward pass on WASM (MiniLM-shaped)', async () => {
    const minilm = await minilmShaped();
    expect(minilm.folder.parameters).toBeGreaterThan(22_000_000);
    await parity(minilm, 'wasm');
  });

  it('matches the reference forward pass on WebGPU (MiniLM-shaped)', async () => {
    // About 20–30 s on SwiftShader (CPU Vulkan) here; a real GPU is far faster.
    await parity(await minilmShaped(), 'webgpu');
  });

  it('pools by CLS and last token on the same hidden states', async () => {
    await load(tiny, { pooling: 'cls', normalize: false });
    const states = await workerStates(texts);
    const ref = reference(tiny, states);
    const cls = await embed(texts);
    const expectedCls = texts.flatMap((_, b) => Array.from(tokenVector(ref.hidden, b, 0)));
    expect(maxAbsDiff(cls, expectedCls)).toBeLessThanOrEqual(TOLERANCE);

    await load(tiny, { pooling: 'last-token', normalize: false });
    const last = await embed(texts);
    const expectedLast = texts.flatMap((_, b) =>
      Array.from(tokenVector(ref.hidden, b, (states.lengths[b] ?? 0) - 1)),
    );
    expect(maxAbsDiff(last, expectedLast)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(cls, last)).toBeGreaterThan(1e-3);
  });

  it('L2-normalises, and truncates Matryoshka dims before re-normalising', async () => {
    const full = await load(tiny, { normalize: false });
    const raw = await embed(texts);
    await load(tiny, { normalize: true });
    const unit = await embed(texts);
    for (const row of rowsOf(unit, full.dims)) expect(norm(row)).toBeCloseTo(1, 5);
    const rawRows = rowsOf(raw, full.dims);
    rowsOf(unit, full.dims).forEach((row, r) => {
      const expected = l2Normalize(Float64Array.from(rawRows[r] ?? []));
      expect(maxAbsDiff(row, expected)).toBeLessThanOrEqual(1e-6);
    });

    const info = await load(tiny, { dims: 8 });
    expect(info.dims).toBe(8);
    expect(info.hiddenSize).toBe(full.dims);
    const small = await embed(texts);
    expect(small.length).toBe(texts.length * 8);
    rowsOf(small, 8).forEach((row, r) => {
      expect(norm(row)).toBeCloseTo(1, 5);
      const expected = l2Normalize(Float64Array.from(rawRows[r] ?? []).subarray(0, 8));
      expect(maxAbsDiff(row, expected)).toBeLessThanOrEqual(1e-6);
    });
    await expect(load(tiny, { dims: full.dims + 1 })).rejects.toThrow(/Matryoshka dims/);
  });

  it('adds query and document prefixes before tokenizing', async () => {
    await load(tiny, { queryPrefix: 'query: ', documentPrefix: 'passage: ' });
    const text = texts[0] ?? '';
    const asQuery = await embed([text], 'query');
    const asDocument = await embed([text], 'document');
    expect(maxAbsDiff(asQuery, asDocument)).toBeGreaterThan(1e-3);
    const states = await workerStates([text], 'query');
    expect(idsOf(states, 0)).toEqual(expectedIds(`query: ${text}`, 256));

    await load(tiny, {});
    const spelledOut = await embed([`query: ${text}`]);
    expect(maxAbsDiff(asQuery, spelledOut)).toBeLessThanOrEqual(1e-6);
  });

  it('truncates to maxTokens, keeping [CLS] and [SEP], whatever tokenizer.json says', async () => {
    const long = 'the structure of proteins '.repeat(100);
    const defaults = await load(tiny, {});
    // sentence_bert_config.json says 256; tokenizer.json's stale truncation (128) must not apply.
    expect(defaults.maxTokens).toBe(256);
    expect(
      Array.from(await embedClient.call((api) => api.countTokens([long], 'document'))),
    ).toEqual([256]);

    await load(tiny, { maxTokens: 12, normalize: false });
    const counts = await embedClient.call((api) => api.countTokens([long, 'A'], 'document'));
    expect(Array.from(counts)).toEqual([12, 3]);
    const states = await workerStates([long, 'A']);
    expect(states.seq).toBe(12);
    expect(idsOf(states, 0)).toEqual(expectedIds(long, 12));
    expect(idsOf(states, 0).at(-1)).toBe(SEP);
    const ref = reference(tiny, states);
    const pooled = await embed([long, 'A']);
    const refPooled = meanPool(ref.hidden, ref.attentionMask).flatMap((row) => Array.from(row));
    expect(maxAbsDiff(pooled, refPooled)).toBeLessThanOrEqual(TOLERANCE);
    await expect(load(tiny, { maxTokens: 513 })).rejects.toThrow(/exceeds the 512 positions/);
  });

  it('says why and what to do when a hub model cannot be had', async () => {
    // Offline here (no network) or a 401/404 elsewhere: either way the message names the cause.
    await expect(
      embedClient.call((api) => api.load({ kind: 'hub', id: 'lumina-tests/no-such-model' })),
    ).rejects.toThrow(
      /lumina-tests\/no-such-model could not be downloaded from the Hugging Face Hub .*pick a local model folder/,
    );
  });

  it('says why and what to do when a folder has no onnx/model.onnx', async () => {
    const files = new Map(tiny.folder.files);
    files.delete('onnx/model.onnx');
    await expect(load(tiny, {}, files)).rejects.toThrow(
      /has no onnx\/model\.onnx, which dtype fp32 needs\. .*ONNX export/,
    );
    await expect(load(tiny, { dtype: 'q8' })).rejects.toThrow(
      /no onnx\/model_quantized\.onnx.*Choose a dtype it has: fp32 \(onnx\/model\.onnx\)/,
    );
    const picked = new Map(
      [...tiny.folder.files].map(([path, data]) => [`my-model/${path}`, data]),
    );
    picked.delete('my-model/tokenizer.json');
    await expect(load(tiny, {}, picked)).rejects.toThrow(/tokenizer\.json is missing/);
    // A failed load leaves the worker usable.
    const events: Progress[] = [];
    await embedClient.call((api) =>
      api.load(
        { kind: 'files', files: tiny.folder.files },
        { dtype: 'fp32' },
        undefined,
        Comlink.proxy((event: Progress) => events.push(event)),
      ),
    );
    // Progress comes over the callback's own port, so the last event may trail the result.
    await expect.poll(() => events.at(-1)?.status).toBe('done');
    expect(events.at(-1)).toMatchObject({ status: 'done', fraction: 1 });
    const fractions = events.map((event) => event.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect((await embed(['ok'])).length).toBe(32);
  });
});
