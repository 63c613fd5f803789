import * as tf from '@tensorflow/tfjs';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  contrastiveLoss,
  onlineContrastiveLoss,
} from '../../src/core/finetune/losses/contrastive.ts';
import { poolHiddenStates } from '../../src/core/finetune/pooling.ts';
import { SeededRandom } from '../../src/core/model/seeded-random.ts';
import { useBackend } from '../../src/core/train/bert/backend.ts';

/**
 * TF.js in one page: ops on cpu and wasm, then `useBackend('webgpu')` (SwiftShader here), as the
 * train worker does across jobs. On webgpu an int32/bool→float32 cast keeps the i32 GPU buffer,
 * and TF.js 4.22's TransposeProgram does not compile for i32 buffers (tensorflow/tfjs#8638): the
 * dropped command buffer then reads back stale memory. `useBackend` installs the fix; these checks
 * fail without it.
 */

const wasmPaths = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};

// Over WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD (1000 elements), so the data lives in GPU buffers.
const ROWS = 4;
const SEQ = 300;
const HIDDEN = 8;
const rowLengths = [300, 17, 123, 1];
const mask = rowLengths.flatMap((length) =>
  Array.from({ length: SEQ }, (_, i) => (i < length ? 1 : 0)),
);

const random = new SeededRandom(7, 'tfjs-backend-switch');
const uniform = (count: number): number[] =>
  Array.from({ length: count }, () => random.nextFloat() * 2 - 1);
const hidden = uniform(ROWS * SEQ * HIDDEN);
const PAIRS = 12;
const first = uniform(PAIRS * HIDDEN);
const second = uniform(PAIRS * HIDDEN);
const labels = Array.from({ length: PAIRS }, (_, i) => (i % 3 === 0 ? 1 : 0));

/** Row-major transpose of a rank-3 array, written out as a reference. */
function transpose3(values: readonly number[], shape: readonly number[], perm: readonly number[]) {
  const [d0 = 0, d1 = 0, d2 = 0] = shape;
  const outShape = perm.map((axis) => shape[axis] ?? 0);
  const [, o1 = 0, o2 = 0] = outShape;
  const out = new Array<number>(values.length);
  for (let i = 0; i < d0; i++) {
    for (let j = 0; j < d1; j++) {
      for (let k = 0; k < d2; k++) {
        const at = [i, j, k];
        const [a = 0, b = 0, c = 0] = perm.map((axis) => at[axis] ?? 0);
        out[(a * o1 + b) * o2 + c] = values[(i * d1 + j) * d2 + k] ?? Number.NaN;
      }
    }
  }
  return out;
}

/** sentence-transformers' masked mean then L2 normalisation, in plain numbers. */
function meanPoolReference(): number[] {
  const out: number[] = [];
  for (let r = 0; r < ROWS; r++) {
    const sum = new Array<number>(HIDDEN).fill(0);
    let count = 0;
    for (let s = 0; s < SEQ; s++) {
      if (mask[r * SEQ + s] !== 1) continue;
      count++;
      for (let h = 0; h < HIDDEN; h++)
        sum[h] = (sum[h] ?? 0) + (hidden[(r * SEQ + s) * HIDDEN + h] ?? 0);
    }
    const mean = sum.map((v) => v / Math.max(count, 1e-9));
    const norm = Math.max(Math.hypot(...mean), 1e-12);
    out.push(...mean.map((v) => v / norm));
  }
  return out;
}

/** OnlineContrastiveLoss with cosine distance, in plain numbers. */
function onlineContrastiveReference(margin: number): number {
  const distances = labels.map((_, i) => {
    const a = first.slice(i * HIDDEN, (i + 1) * HIDDEN);
    const b = second.slice(i * HIDDEN, (i + 1) * HIDDEN);
    const dot = a.reduce((acc, v, h) => acc + v * (b[h] ?? 0), 0);
    return 1 - dot / Math.max(Math.hypot(...a) * Math.hypot(...b), 1e-8);
  });
  const poss = distances.filter((_, i) => labels[i] === 1);
  const negs = distances.filter((_, i) => labels[i] === 0);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const negThreshold = negs.length > 1 ? Math.min(...negs) : mean(poss);
  const posThreshold = poss.length > 1 ? Math.max(...poss) : mean(negs);
  const positive = poss.filter((d) => d > negThreshold).reduce((a, d) => a + d * d, 0);
  const negative = negs
    .filter((d) => d < posThreshold)
    .reduce((a, d) => a + Math.max(margin - d, 0) ** 2, 0);
  return positive + negative;
}

interface LossResults {
  contrastive: number;
  online: number;
  onlineEuclidean: number;
  onlineGrad: number[];
}

async function losses(): Promise<LossResults> {
  const a = tf.tensor2d(first, [PAIRS, HIDDEN]);
  const b = tf.tensor2d(second, [PAIRS, HIDDEN]);
  const contrastive = contrastiveLoss(a, b, labels);
  const online = onlineContrastiveLoss(a, b, labels);
  const onlineEuclidean = onlineContrastiveLoss(a, b, labels, { distance: 'euclidean', margin: 3 });
  const grad = tf.grad((x: tf.Tensor) => onlineContrastiveLoss(x as tf.Tensor2D, b, labels))(a);
  const result = {
    contrastive: (await contrastive.data())[0] ?? Number.NaN,
    online: (await online.data())[0] ?? Number.NaN,
    onlineEuclidean: (await onlineEuclidean.data())[0] ?? Number.NaN,
    onlineGrad: Array.from(await grad.data()),
  };
  tf.dispose([a, b, contrastive, online, onlineEuclidean, grad]);
  return result;
}

async function pooled(maskDtype: 'int32' | 'float32'): Promise<number[]> {
  const h = tf.tensor3d(hidden, [ROWS, SEQ, HIDDEN]);
  const m = tf.tensor2d(mask, [ROWS, SEQ], maskDtype);
  const out = poolHiddenStates(h, m, { mode: 'mean', normalize: true });
  const values = Array.from(await out.data());
  tf.dispose([h, m, out]);
  return values;
}

function expectClose(actual: readonly number[], expected: readonly number[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const worst = actual.reduce(
    (max, v, i) => Math.max(max, Math.abs(v - (expected[i] ?? Number.NaN))),
    0,
  );
  expect(worst, `${what}: ${actual.slice(0, 6).join(', ')}…`).toBeLessThan(1e-5);
}

let wasmLosses: LossResults;
let wasmPooled: number[];
let keptFromWasm: tf.Tensor2D;
const gpuErrors: string[] = [];

beforeAll(async () => {
  await useBackend('cpu');
  const warm = tf.cast(tf.tensor1d([1, 0, 1], 'int32'), 'float32');
  expect(Array.from(await warm.data())).toEqual([1, 0, 1]);
  warm.dispose();

  await useBackend('wasm', { wasmPaths });
  wasmLosses = await losses();
  wasmPooled = await pooled('int32');
  keptFromWasm = tf.tensor2d(mask, [ROWS, SEQ], 'int32');

  await useBackend('webgpu');
  const { device } = tf.backend() as WebGPUBackend;
  device.addEventListener('uncapturederror', (event) => {
    gpuErrors.push((event as GPUUncapturedErrorEvent).error.message.split('\n')[0] ?? '');
  });
});

afterEach(async () => {
  // Errors arrive asynchronously: let queued work finish before checking.
  await (tf.backend() as WebGPUBackend).device.queue.onSubmittedWorkDone();
  expect(gpuErrors.splice(0)).toEqual([]);
});

describe('TF.js on webgpu after cpu and wasm ran in the same page', () => {
  it('casts int32 and bool tensors made in several ways to float32 and transposes them', async () => {
    expect(tf.getBackend()).toBe('webgpu');
    const cases: [string, () => tf.Tensor2D, number[]][] = [
      ['tf.tensor from Int32Array', () => tf.tensor2d(Int32Array.from(mask), [ROWS, SEQ]), mask],
      ['tf.ones int32', () => tf.ones([ROWS, SEQ], 'int32'), mask.map(() => 1)],
      ['tf.equal (bool)', () => tf.equal(tf.tensor2d(mask, [ROWS, SEQ], 'int32'), 1), mask],
      ['tf.greater (bool)', () => tf.greater(tf.tensor2d(mask, [ROWS, SEQ], 'float32'), 0.5), mask],
      ['int32 tensor made on wasm before the switch', () => keptFromWasm.clone(), mask],
    ];
    const perm = [2, 0, 1];
    const cube = [ROWS, 30, SEQ / 30];
    for (const [name, make, expected] of cases) {
      const source = make();
      const asFloat = tf.cast(source, 'float32');
      expect(asFloat.dtype).toBe('float32');
      expectClose(Array.from(await asFloat.data()), expected, `${name}: cast`);
      const doubled = tf.mul(asFloat, 2);
      expectClose(
        Array.from(await doubled.data()),
        expected.map((v) => 2 * v),
        `${name}: ×2`,
      );
      const transposed = tf.transpose(tf.reshape(asFloat, cube), perm);
      expectClose(
        Array.from(await transposed.data()),
        transpose3(expected, cube, perm),
        `${name}: transpose`,
      );
      // Mean pooling's token count: a sum over the middle axis, which TF.js does by transposing.
      const counts = tf.sum(tf.expandDims(asFloat, 2), 1);
      const rowSums = Array.from({ length: ROWS }, (_, r) =>
        expected.slice(r * SEQ, (r + 1) * SEQ).reduce((x, y) => x + y, 0),
      );
      expectClose(Array.from(await counts.data()), rowSums, `${name}: sum over axis 1`);
      tf.dispose([source, asFloat, doubled, transposed, counts]);
    }
    keptFromWasm.dispose();
  });

  it('transposes int32 and bool tensors themselves', async () => {
    const cube = [ROWS, 30, SEQ / 30];
    const perm = [1, 2, 0];
    const ints = tf.tensor3d(
      mask.map((v, i) => v * i),
      cube as [number, number, number],
      'int32',
    );
    const t = tf.transpose(ints, perm);
    expect(t.dtype).toBe('int32');
    expect(Array.from(await t.data())).toEqual(
      transpose3(
        mask.map((v, i) => v * i),
        cube,
        perm,
      ),
    );
    const bools = tf.transpose(tf.greater(ints, 0), perm);
    expect(bools.dtype).toBe('bool');
    expect(Array.from(await bools.data())).toEqual(
      transpose3(
        mask.map((v, i) => (v * i > 0 ? 1 : 0)),
        cube,
        perm,
      ),
    );
    tf.dispose([ints, t, bools]);
  });

  it('mean-pools with an int32 attention mask as wasm and the reference do', async () => {
    const reference = meanPoolReference();
    expectClose(wasmPooled, reference, 'wasm pooling');
    expectClose(await pooled('int32'), reference, 'webgpu pooling, int32 mask');
    expectClose(await pooled('float32'), reference, 'webgpu pooling, float32 mask');
  });

  it('gives the wasm contrastive and online-contrastive losses and gradients', async () => {
    expect(wasmLosses.online).toBeCloseTo(onlineContrastiveReference(0.5), 5);
    expect(wasmLosses.online).toBeGreaterThan(0);
    const webgpu = await losses();
    expect(webgpu.contrastive).toBeCloseTo(wasmLosses.contrastive, 5);
    expect(webgpu.online).toBeCloseTo(wasmLosses.online, 5);
    expect(webgpu.onlineEuclidean).toBeCloseTo(wasmLosses.onlineEuclidean, 4);
    expect(webgpu.onlineGrad.some((g) => g !== 0)).toBe(true);
    expectClose(webgpu.onlineGrad, wasmLosses.onlineGrad, 'online-contrastive gradient');
  });
});
