import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  cacheNames,
  exportGpt2Onnx,
  initGpt2Weights,
  type Gpt2Config,
  type Gpt2Weights,
} from '../../../src/core/model/decoder/index.ts';
import { defaultPositionIds, referenceGpt2Logits } from '../../support/reference-decoder.ts';
import { decoderTokenizer, tinyDecoderConfig } from './fixtures.ts';

let config: Gpt2Config;
let weights: Gpt2Weights;

beforeAll(async () => {
  // A wide init puts activations at O(1), where GELU's cubic term and the LayerNorms matter.
  config = tinyDecoderConfig(await decoderTokenizer(), {
    tieWordEmbeddings: true,
    initializerRange: 0.3,
  });
  weights = await initGpt2Weights(config, { seed: 7 });
});

function int64(rows: readonly (readonly number[])[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
    [rows.length, rows[0]?.length ?? 0],
  );
}

function emptyPast(batch: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  const size = config.nEmbd / config.nHead;
  for (let i = 0; i < config.nLayer; i++) {
    const names = cacheNames(i);
    for (const name of [names.pastKey, names.pastValue]) {
      feeds[name] = new ort.Tensor('float32', new Float32Array(0), [batch, config.nHead, 0, size]);
    }
  }
  return feeds;
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
}

function output(result: Record<string, ort.Tensor>, name: string): ort.Tensor {
  return must(result[name], name);
}

function maxDiff(onnx: Float32Array, reference: Float64Array[][]): number {
  const flat = reference.flatMap((rows) => rows.flatMap((row) => [...row]));
  expect(onnx.length).toBe(flat.length);
  let max = 0;
  flat.forEach((v, i) => (max = Math.max(max, Math.abs(v - (onnx[i] ?? Number.NaN)))));
  return max;
}

describe('GPT-2 ONNX export', () => {
  // Left padding, as transformers.js pads generation batches.
  const inputIds = [
    [1, 1, 40, 41, 42, 43, 44],
    [50, 51, 52, 53, 54, 55, 56],
  ];
  const attentionMask = [
    [0, 0, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1, 1],
  ];
  const positionIds = defaultPositionIds(attentionMask);

  it('matches the float64 reference without a cache (padded batch)', async () => {
    const session = await ort.InferenceSession.create(
      exportGpt2Onnx(config, weights, { kvCache: false }),
    );
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    const out = await session.run({
      input_ids: int64(inputIds),
      attention_mask: int64(attentionMask),
      position_ids: int64(positionIds),
    });
    const reference = referenceGpt2Logits(config, weights, {
      inputIds,
      attentionMask,
      positionIds,
    });
    // Padded positions are never read; compare the real tokens of row 0 and all of row 1.
    const logits = out['logits'] as ort.Tensor;
    expect(logits.dims).toEqual([2, 7, config.vocabSize]);
    const data = logits.data as Float32Array;
    const v = config.vocabSize;
    expect(maxDiff(data.slice(2 * v, 7 * v), [must(reference[0], 'row 0').slice(2)])).toBeLessThan(
      1e-4,
    );
    expect(maxDiff(data.slice(7 * v), [must(reference[1], 'row 1')])).toBeLessThan(1e-4);
    await session.release();
  });

  it('gives the same logits with and without the cache I/O', async () => {
    const row = must(inputIds[1], 'row 1');
    const ids = [row];
    const feeds = {
      input_ids: int64(ids),
      attention_mask: int64([row.map(() => 1)]),
      position_ids: int64([row.map((_, i) => i)]),
    };
    const plain = await ort.InferenceSession.create(
      exportGpt2Onnx(config, weights, { kvCache: false }),
    );
    const cached = await ort.InferenceSession.create(
      exportGpt2Onnx(config, weights, { kvCache: true }),
    );
    const a = output(await plain.run(feeds), 'logits').data as Float32Array;
    const b = output(await cached.run({ ...feeds, ...emptyPast(1) }), 'logits')
      .data as Float32Array;
    expect(b.length).toBe(row.length * config.vocabSize);
    expect(Math.max(...a.map((v, i) => Math.abs(v - (b[i] ?? Number.NaN))))).toBeLessThan(1e-5);
    await plain.release();
    await cached.release();
  });

  it('gives the same logits through the KV cache, one token at a time', async () => {
    const session = await ort.InferenceSession.create(
      exportGpt2Onnx(config, weights, { kvCache: true }),
    );
    const ids = must(inputIds[1], 'row 1');
    const prefix = ids.slice(0, 4);
    const first = await session.run({
      input_ids: int64([prefix]),
      attention_mask: int64([prefix.map(() => 1)]),
      position_ids: int64([prefix.map((_, i) => i)]),
      ...emptyPast(1),
    });
    const reference = must(
      referenceGpt2Logits(config, weights, { inputIds: [ids] })[0],
      'reference',
    );
    expect(
      maxDiff(output(first, 'logits').data as Float32Array, [reference.slice(0, 4)]),
    ).toBeLessThan(1e-4);
    let past = first;
    for (let s = 4; s < ids.length; s++) {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: int64([[must(ids[s], 'id')]]),
        attention_mask: int64([ids.slice(0, s + 1).map(() => 1)]),
        position_ids: int64([[s]]),
      };
      for (let i = 0; i < config.nLayer; i++) {
        const names = cacheNames(i);
        feeds[names.pastKey] = output(past, names.presentKey);
        feeds[names.pastValue] = output(past, names.presentValue);
      }
      past = await session.run(feeds);
      expect(output(past, cacheNames(0).presentKey).dims).toEqual([
        1,
        config.nHead,
        s + 1,
        config.nEmbd / config.nHead,
      ]);
      expect(
        maxDiff(output(past, 'logits').data as Float32Array, [[must(reference[s], 'position')]]),
      ).toBeLessThan(1e-4);
    }
    await session.release();
  });
});
