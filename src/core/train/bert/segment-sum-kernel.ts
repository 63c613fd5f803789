import * as tf from '@tensorflow/tfjs';

/** Backends whose UnsortedSegmentSum this module supplies. */
export type ScatterBackend = 'cpu' | 'wasm';

const installed = new Set<ScatterBackend>();

/**
 * Installs a plain scatter-add UnsortedSegmentSum for `backend`. It is the gradient of `gather`,
 * i.e. of every embedding lookup, so training needs it: TF.js 4.22's wasm backend has none, and
 * its cpu kernel runs one masked sum per segment (30 522 passes over the batch for a BERT
 * vocabulary, minutes per step). One pass over the rows does the same work. Hand-written
 * because no package provides it; webgpu keeps its own shader kernel.
 */
export function installSegmentSumKernel(backend: ScatterBackend): void {
  if (installed.has(backend)) return;
  if (tf.getKernel(tf.UnsortedSegmentSum, backend)) {
    tf.unregisterKernel(tf.UnsortedSegmentSum, backend);
  }
  tf.registerKernel({
    kernelName: tf.UnsortedSegmentSum,
    backendName: backend,
    kernelFunc: ({ inputs, backend: kernelBackend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = attrs as unknown as { numSegments: number };
      const engine = kernelBackend as tf.KernelBackend;
      if (x.dtype !== 'float32' && x.dtype !== 'int32') {
        throw new TypeError(`UnsortedSegmentSum supports float32 and int32, not ${x.dtype}`);
      }
      const ids = engine.readSync(segmentIds.dataId) as Int32Array | Float32Array;
      const values = engine.readSync(x.dataId) as Int32Array | Float32Array;
      const rows = ids.length;
      const width = rows === 0 ? 0 : values.length / rows;
      const shape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
      const sums =
        x.dtype === 'int32'
          ? new Int32Array(numSegments * width)
          : new Float32Array(numSegments * width);
      for (let r = 0; r < rows; r++) {
        const segment = ids[r] ?? -1;
        // Out-of-range ids are dropped, as TensorFlow does.
        if (segment < 0 || segment >= numSegments) continue;
        const from = r * width;
        const to = segment * width;
        for (let j = 0; j < width; j++)
          sums[to + j] = (sums[to + j] ?? 0) + (values[from + j] ?? 0);
      }
      return { dataId: engine.write(sums, shape, x.dtype), shape, dtype: x.dtype };
    },
  });
  installed.add(backend);
}
