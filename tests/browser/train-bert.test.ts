import * as tf from '@tensorflow/tfjs';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSeededModelFolder } from '../../src/core/model/index.ts';
import { exportBertOnnx } from '../../src/core/model/onnx/bert-onnx.ts';
import { encodeSafetensors } from '../../src/core/model/safetensors.ts';
import { SeededRandom } from '../../src/core/model/seeded-random.ts';
import {
  exportableBertConfig,
  loadBertEncoder,
  parseBertEncoderConfig,
  readBertSafetensors,
  useBackend,
  type BertEncoderConfig,
  type TfBackendName,
} from '../../src/core/train/bert/index.ts';
import { embedClient } from '../../src/lib/clients.ts';
import { seededMlmGradients, worstRelativeDiff } from '../support/mlm-gradients.ts';
import { minilmConfigJson, minilmTokenizerFiles, tinyBertConfigJson } from './minilm-helpers.ts';

/**
 * The TF.js encoder on webgpu, wasm and cpu against transformers.js (ONNX Runtime Web in the real
 * embed worker) running the onnx/model.onnx of the same HF folder. TF.js reads model.safetensors of
 * that folder, and both see exactly the ids and mask the worker's tokenizer produced. Every
 * position is compared, padded ones included.
 */

const TOLERANCE = 1e-4;
const texts = [
  'Proteins fold into three-dimensional structures determined by their amino acid sequence.',
  'A',
  'Héllo wörld: naïve café, 42 tokens?',
  'Short query about cell biology',
];
const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};

interface Folder {
  config: BertEncoderConfig;
  files: Map<string, Uint8Array>;
}

/**
 * An HF folder as Lumina writes it, with biases and LayerNorm parameters nudged off their
 * initial 0 and 1 so the comparison sees them, and both weight files rewritten to match.
 */
async function seededFolder(configJson: Record<string, unknown>, seed: number): Promise<Folder> {
  const folder = await buildSeededModelFolder({
    configJson,
    seed,
    tokenizerFiles: minilmTokenizerFiles(),
  });
  const config = parseBertEncoderConfig(configJson);
  const safetensors = folder.files.get('model.safetensors');
  if (!safetensors) throw new Error('no model.safetensors');
  const weights = readBertSafetensors(config, safetensors).encoder;
  const random = new SeededRandom(seed, 'perturb');
  for (const tensor of weights.values()) {
    if (tensor.shape.length !== 1) continue;
    for (let i = 0; i < tensor.data.length; i++) {
      tensor.data[i] = (tensor.data[i] ?? 0) + 0.05 * random.nextNormal();
    }
  }
  const files = new Map(folder.files);
  files.set('model.safetensors', encodeSafetensors(weights, { format: 'pt' }));
  files.set('onnx/model.onnx', exportBertOnnx(exportableBertConfig(config), weights));
  return { config, files };
}

interface WorkerStates {
  batch: number;
  seq: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  data: Float32Array;
}

async function transformersStates(folder: Folder): Promise<WorkerStates> {
  const onnxOnly = new Map(folder.files);
  onnxOnly.delete('model.safetensors');
  await embedClient.call((api) =>
    api.load({ kind: 'files', files: onnxOnly, name: 'seeded' }, { dtype: 'fp32', device: 'wasm' }),
  );
  return embedClient.call((api) => api.hiddenStates([...texts], 'document'));
}

interface Result {
  backend: string;
  maxAbsDiff: number;
  loadMs: number;
  forwardMs: number;
}

async function tfjsParity(
  folder: Folder,
  reference: WorkerStates,
  backend: TfBackendName,
): Promise<Result> {
  const active = await useBackend(backend, { wasmPaths });
  expect(tf.getBackend()).toBe(backend);
  const safetensors = folder.files.get('model.safetensors');
  if (!safetensors) throw new Error('no model.safetensors');
  const t0 = performance.now();
  const model = await loadBertEncoder(folder.config, safetensors);
  const t1 = performance.now();
  const shape: [number, number] = [reference.batch, reference.seq];
  const ids = tf.tensor2d(reference.inputIds, shape, 'int32');
  const mask = tf.tensor2d(reference.attentionMask, shape, 'int32');
  const states = model.forward(ids, mask);
  const data = await states.data();
  const t2 = performance.now();
  tf.dispose([ids, mask, states]);
  model.dispose();

  expect(data.length).toBe(reference.data.length);
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    max = Math.max(max, Math.abs((data[i] ?? NaN) - (reference.data[i] ?? NaN)));
  }
  const result = {
    backend: `${active.name} (${active.detail})`,
    maxAbsDiff: max,
    loadMs: Math.round(t1 - t0),
    forwardMs: Math.round(t2 - t1),
  };
  console.info(`[train-bert] ${folder.config.hiddenSize}d`, result);
  expect(max).toBeLessThanOrEqual(TOLERANCE);
  return result;
}

describe('TF.js BERT encoder vs transformers.js on the same HF folder', () => {
  let tiny: Folder;
  let tinyStates: WorkerStates;

  beforeAll(async () => {
    tiny = await seededFolder(tinyBertConfigJson, 7);
    tinyStates = await transformersStates(tiny);
    // The batch must really be padded for the comparison to cover the mask.
    expect(Array.from(tinyStates.attentionMask)).toContain(0);
  });
  afterAll(() => embedClient.terminate());

  it('matches on webgpu (tiny)', async () => {
    const adapter = await navigator.gpu.requestAdapter();
    expect(adapter, 'Chromium must run with --enable-unsafe-webgpu').not.toBeNull();
    await tfjsParity(tiny, tinyStates, 'webgpu');
  });

  it('matches on wasm (tiny), with the binaries served by the app itself', async () => {
    const result = await tfjsParity(tiny, tinyStates, 'wasm');
    expect(result.backend).toMatch(/simd on/);
  });

  it('matches on cpu (tiny)', async () => {
    await tfjsParity(tiny, tinyStates, 'cpu');
  });

  it('matches on wasm and cpu (MiniLM-shaped, 22.7M parameters)', async () => {
    const minilm = await seededFolder(minilmConfigJson, 11);
    const states = await transformersStates(minilm);
    await tfjsParity(minilm, states, 'wasm');
    await tfjsParity(minilm, states, 'cpu');
  });

  it('gives the same MLM loss and gradients on webgpu, wasm and cpu (tiny, training mode)', async () => {
    const cpu = await mlmGradients('cpu');
    for (const backend of ['webgpu', 'wasm'] as const) {
      const t0 = performance.now();
      const other = await mlmGradients(backend);
      const worst = worstRelativeDiff(cpu, other);
      const ms = Math.round(performance.now() - t0);
      console.info(`[train-bert] MLM gradients ${backend} vs cpu`, {
        worstRelativeDiff: worst,
        ms,
      });
      expect(worst).toBeLessThanOrEqual(1e-3);
    }
  });
});

/** Loss and every trainable variable's gradient of one seeded MLM step, read back as data. */
async function mlmGradients(backend: TfBackendName): Promise<Map<string, Float32Array>> {
  await useBackend(backend, { wasmPaths });
  return (await seededMlmGradients()).values;
}
