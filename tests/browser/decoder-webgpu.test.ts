import * as tf from '@tensorflow/tfjs';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { describe, expect, it } from 'vitest';
import { initGpt2Weights, type Gpt2Weights } from '../../src/core/model/decoder/gpt2-weights.ts';
import { useBackend, type TfBackendName } from '../../src/core/train/bert/backend.ts';
import type { MetricRow } from '../../src/core/store/records.ts';
import {
  createGpt2Decoder,
  decoderConfigFromTrainConfig,
  prepareCausalLmData,
  trainCausalLm,
  type DecoderConfig,
} from '../../src/core/train/decoder/index.ts';
import {
  repeatedCorpus,
  tinyDecoderTrainConfig,
  tinyTokenizer,
} from '../unit/train-decoder/fixture.ts';

/**
 * Lumina's TF.js GPT-2 on webgpu (SwiftShader in CI) against wasm and cpu: the same weights give
 * the same logits on a right-padded batch, and the same seeded training gives the same losses.
 */

const LOGIT_TOLERANCE = 1e-4;
const LOSS_RELATIVE_TOLERANCE = 1e-3;
const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};

async function switchTo(backend: TfBackendName): Promise<void> {
  await useBackend(backend, backend === 'wasm' ? { wasmPaths } : {});
}

/** Logits [batch · seq, vocab] of every position, padded ones included. */
async function logitsOn(
  backend: TfBackendName,
  config: DecoderConfig,
  weights: Gpt2Weights,
  ids: number[][],
  mask: number[][],
): Promise<Float32Array> {
  await switchTo(backend);
  const model = await createGpt2Decoder(config, weights);
  try {
    const shape: [number, number] = [ids.length, ids[0]?.length ?? 0];
    const logits = tf.tidy(() => {
      const hidden = model.forward(
        tf.tensor2d(ids.flat(), shape, 'int32'),
        tf.tensor2d(mask.flat(), shape, 'int32'),
      );
      return model.logits(hidden.reshape([-1, config.nEmbd]) as tf.Tensor2D);
    });
    const values = (await logits.data()) as Float32Array;
    logits.dispose();
    return values;
  } finally {
    model.dispose();
  }
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return worst;
}

describe('GPT-2 decoder on webgpu', () => {
  it('gives the logits of wasm and cpu on a padded batch, from the same weights', async () => {
    const adapter = await navigator.gpu.requestAdapter();
    expect(adapter, 'Chromium must run with --enable-unsafe-webgpu').not.toBeNull();
    const { tokenizer } = await tinyTokenizer();
    // Ten times GPT-2's init spread: logits of a few units and attention far from uniform, so
    // a masking or kernel bug shows well above the tolerance.
    const trainConfig = tinyDecoderTrainConfig((c) => void (c.model.initializer_range = 0.2));
    const config = decoderConfigFromTrainConfig(trainConfig, tokenizer);
    const weights = await initGpt2Weights(config, { seed: 11 });
    const ids = [
      tokenizer.encode('The mitochondria is the powerhouse of the cell.').slice(0, 12),
      tokenizer.encode('Sunlight helps').slice(0, 12),
    ];
    const seq = Math.max(...ids.map((row) => row.length));
    expect(seq).toBeGreaterThan((ids[1] ?? []).length); // the second row really is padded
    const padded = ids.map((row) => [
      ...row,
      ...Array<number>(seq - row.length).fill(tokenizer.padId),
    ]);
    const mask = ids.map((row) => Array.from({ length: seq }, (_, s) => (s < row.length ? 1 : 0)));

    const cpu = await logitsOn('cpu', config, weights, padded, mask);
    const wasm = await logitsOn('wasm', config, weights, padded, mask);
    const webgpu = await logitsOn('webgpu', config, weights, padded, mask);
    expect(cpu.length).toBe(2 * seq * config.vocabSize);
    // Not a trivially flat output: the logits vary across the vocabulary.
    expect(Math.max(...cpu) - Math.min(...cpu)).toBeGreaterThan(1);
    expect(maxAbsDifference(wasm, cpu)).toBeLessThan(LOGIT_TOLERANCE);
    expect(maxAbsDifference(webgpu, cpu)).toBeLessThan(LOGIT_TOLERANCE);
    expect(maxAbsDifference(webgpu, wasm)).toBeLessThan(LOGIT_TOLERANCE);
  });

  it('trains 3 steps to the losses wasm gives', async () => {
    const { tokenizer } = await tinyTokenizer();
    const lossesOn = async (backend: TfBackendName): Promise<number[]> => {
      await switchTo(backend);
      const config = tinyDecoderTrainConfig((c) => {
        c.training.max_steps = 3;
        c.training.backend = backend;
        c.data.split = { train: 1, validation: 0, test: 0 };
      });
      const data = await prepareCausalLmData(repeatedCorpus(4), tokenizer, config.data);
      const rows: MetricRow[] = [];
      const result = await trainCausalLm({
        config,
        tokenizer,
        data,
        onMetrics: (batch) => void rows.push(...batch),
      });
      expect(result.step).toBe(3);
      return rows.filter((row) => row.split === 'train').map((row) => row.values['loss'] ?? NaN);
    };
    const wasm = await lossesOn('wasm');
    const webgpu = await lossesOn('webgpu');
    expect(wasm).toHaveLength(3);
    expect(webgpu).toHaveLength(3);
    // Training moved the weights: the losses are not one repeated number.
    expect(new Set(wasm.map((loss) => loss.toFixed(5))).size).toBeGreaterThan(1);
    wasm.forEach((loss, i) => {
      expect(Number.isFinite(loss)).toBe(true);
      const relative = Math.abs((webgpu[i] ?? NaN) - loss) / Math.abs(loss);
      expect(relative, `step ${i + 1}: webgpu ${webgpu[i]} vs wasm ${loss}`).toBeLessThan(
        LOSS_RELATIVE_TOLERANCE,
      );
    });
  });
});
