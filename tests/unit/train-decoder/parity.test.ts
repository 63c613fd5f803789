import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  exportGpt2Onnx,
  gpt2ConfigToJson,
  initGpt2Weights,
  type Gpt2Weights,
} from '../../../src/core/model/decoder/index.ts';
import { useBackend } from '../../../src/core/train/bert/index.ts';
import {
  createGpt2Decoder,
  dropoutJson,
  loadGpt2Decoder,
  parseGpt2Config,
  writeGpt2Safetensors,
  type DecoderConfig,
  type Gpt2Decoder,
} from '../../../src/core/train/decoder/index.ts';
import { defaultPositionIds, referenceGpt2Logits } from '../../support/reference-decoder.ts';
import { decoderTokenizer, tinyDecoderConfig } from '../decoder/fixtures.ts';

let config: DecoderConfig;
let weights: Gpt2Weights;

beforeAll(async () => {
  await useBackend('cpu');
  // A wide init puts activations at O(1), where GELU's cubic term and the LayerNorms matter.
  const gpt2 = tinyDecoderConfig(await decoderTokenizer(), { initializerRange: 0.3 });
  // Through config.json, as a saved model is read.
  config = parseGpt2Config(
    JSON.parse(
      JSON.stringify(
        gpt2ConfigToJson(
          gpt2,
          dropoutJson({ ...gpt2, embdPdrop: 0.1, attnPdrop: 0.1, residPdrop: 0.1 }),
        ),
      ),
    ),
  );
  weights = await initGpt2Weights(config, { seed: 7 });
});

// Left padding with transformers.js' position ids, and right padding with default ones.
const inputIds = [
  [1, 1, 40, 41, 42, 43, 44],
  [50, 51, 52, 53, 54, 55, 56],
  [60, 61, 62, 63, 1, 1, 1],
];
const attentionMask = [
  [0, 0, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 0, 0, 0],
];
const positionIds = defaultPositionIds(attentionMask);

async function tfLogits(model: Gpt2Decoder): Promise<Float32Array> {
  const out = tf.tidy(() => {
    const ids = tf.tensor2d(inputIds, undefined, 'int32');
    const hidden = model.forward(ids, tf.tensor2d(attentionMask, undefined, 'int32'), {
      positionIds: tf.tensor2d(positionIds, undefined, 'int32'),
    });
    return model.logits(hidden.reshape([-1, config.nEmbd]));
  });
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

/** Max |a − b| over the real (non-padding) tokens of every row. */
function maxDiffReal(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const v = config.vocabSize;
  const seq = inputIds[0]?.length ?? 0;
  let max = 0;
  attentionMask.forEach((row, r) =>
    row.forEach((m, s) => {
      if (m !== 1) return;
      for (let k = 0; k < v; k++) {
        const i = (r * seq + s) * v + k;
        max = Math.max(max, Math.abs((a[i] ?? Number.NaN) - (b[i] ?? Number.NaN)));
      }
    }),
  );
  return max;
}

function int64(rows: readonly (readonly number[])[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
    [rows.length, rows[0]?.length ?? 0],
  );
}

describe('TF.js GPT-2 decoder', () => {
  it('reads config.json as GPT-2 (tanh GELU only)', () => {
    expect(config).toMatchObject({ nEmbd: 32, nLayer: 2, nHead: 4, nInner: 128, embdPdrop: 0.1 });
    expect(() => parseGpt2Config({ vocab_size: 10, activation_function: 'relu' })).toThrow(
      /gelu_new/,
    );
  });

  it('gives the reference decoder’s and the exported ONNX’s logits on a padded batch', async () => {
    const model = await createGpt2Decoder(config, weights);
    const logits = await tfLogits(model);
    const reference = referenceGpt2Logits(config, weights, {
      inputIds,
      attentionMask,
      positionIds,
    }).flatMap((rows) => rows.flatMap((row) => [...row]));
    const toReference = maxDiffReal(logits, reference);

    const session = await ort.InferenceSession.create(
      exportGpt2Onnx(config, weights, { kvCache: false }),
    );
    const out = await session.run({
      input_ids: int64(inputIds),
      attention_mask: int64(attentionMask),
      position_ids: int64(positionIds),
    });
    const onnx = (out['logits'] as ort.Tensor).data as Float32Array;
    await session.release();
    const toOnnx = maxDiffReal(logits, onnx);
    console.log(
      `parity: max |TF.js − reference| ${toReference.toExponential(2)}, |TF.js − ONNX| ${toOnnx.toExponential(2)}`,
    );
    expect(logits.length).toBe(3 * 7 * config.vocabSize);
    expect(toReference).toBeLessThan(1e-4);
    expect(toOnnx).toBeLessThan(1e-4);
    // Not trivially equal: the logits spread well beyond the tolerance.
    expect(Math.max(...logits) - Math.min(...logits)).toBeGreaterThan(1);
    model.dispose();
  });

  it('saves and loads model.safetensors with HF GPT-2 names, same logits', async () => {
    const model = await createGpt2Decoder(config, weights);
    const bytes = await model.toSafetensors();
    const header = JSON.parse(
      new TextDecoder().decode(
        bytes.subarray(
          8,
          8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)),
        ),
      ),
    ) as Record<string, unknown>;
    expect(Object.keys(header)).toContain('transformer.h.1.mlp.c_proj.weight');
    expect(Object.keys(header)).not.toContain('lm_head.weight');
    expect(bytes).toEqual(writeGpt2Safetensors(config, weights));
    const loaded = await loadGpt2Decoder(config, bytes);
    expect(maxDiffReal(await tfLogits(loaded), await tfLogits(model))).toBe(0);
    model.dispose();
    loaded.dispose();
  });

  it('keeps a later token from changing earlier logits (causal mask)', async () => {
    const model = await createGpt2Decoder(config, weights);
    const run = async (ids: number[]) => {
      const out = tf.tidy(() => {
        const input = tf.tensor2d([ids], undefined, 'int32');
        return model.logits(model.forward(input, tf.onesLike(input)).reshape([-1, config.nEmbd]));
      });
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    };
    const a = await run([10, 11, 12, 13]);
    const b = await run([10, 11, 12, 99]);
    const v = config.vocabSize;
    expect(a.slice(0, 3 * v)).toEqual(b.slice(0, 3 * v));
    expect(a.slice(3 * v)).not.toEqual(b.slice(3 * v));
    model.dispose();
  });
});
