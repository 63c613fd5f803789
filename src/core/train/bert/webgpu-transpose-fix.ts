import { WebGPUBackend, webgpu_util, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/**
 * Works around a TF.js 4.22 webgpu bug (tensorflow/tfjs#8638, fix proposed in tensorflow/tfjs#8616,
 * both open): the general TransposeProgram hands `A[i]` straight to `setOutputAtIndex(f32)`, so when
 * the input's GPU buffer holds i32 the WGSL does not compile (Chromium 141+ rejects the implicit
 * conversion). WebGPU reports that only as an uncaptured error; the whole command buffer it was
 * submitted with is dropped and every tensor in it reads back stale memory (NaN losses).
 *
 * i32 buffers are common: int32 and bool tensors, and every int32/bool→float32 `tf.cast`, which
 * the webgpu Cast kernel does without a copy (the float32 tensor keeps the i32 buffer). A sum
 * over a middle axis transposes first, so `tf.sum(tf.cast(mask, 'float32'), 1)` on a
 * [batch, seq, 1] mask (mean pooling) hits it.
 */

const COORDS = ['x', 'y', 'z', 'w', 'u', 'v'] as const;

/** WGSL type TF.js uses for coordinates of a given rank (vec5/vec6 are its own structs). */
function coordsType(rank: number): string {
  if (rank <= 4) return `vec${rank}<i32>`;
  return `vec${rank}`;
}

/**
 * TF.js's TransposeProgram (Apache-2.0) with the read converted to f32 first, as in #8616. Its
 * own shader key keeps it apart from the broken pipeline in the backend's cache.
 */
class I32BufferTransposeProgram implements WebGPUProgram {
  readonly variableNames = ['A'];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly outputShape: number[];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    aShape: readonly number[],
    private readonly perm: readonly number[],
  ) {
    this.outputShape = perm.map((axis) => aShape[axis] ?? 0);
    this.dispatchLayout = webgpu_util.flatDispatchLayout(this.outputShape);
    this.dispatch = webgpu_util.computeDispatch(
      this.dispatchLayout,
      this.outputShape,
      this.workgroupSize,
    );
    this.shaderKey = `lumina_transpose_i32_${perm.join(',')}`;
  }

  getUserCode(): string {
    const rank = this.outputShape.length;
    const switched: string[] = new Array<string>(rank);
    this.perm.forEach((axis, i) => {
      switched[axis] = `coords.${COORDS[i] ?? 'x'}`;
    });
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          setOutputAtIndex(index, f32(A[getIndexFromCoords${rank}D(
            ${coordsType(rank)}(${switched.join(',')}), uniforms.aShape)]));
        }
      }
    `;
  }
}

type RunProgram = WebGPUBackend['runWebGPUProgram'];

/** TF.js's TransposeProgram, recognised by its public fields (class names do not survive minifying). */
function transposePermutation(program: WebGPUProgram): number[] | null {
  const { newDim } = program as WebGPUProgram & { newDim?: unknown };
  if (!program.shaderKey.startsWith('transpose_') || !Array.isArray(newDim)) return null;
  return newDim.every((axis) => typeof axis === 'number') ? (newDim as number[]) : null;
}

let installed = false;

/**
 * Makes every webgpu TransposeProgram whose input sits in an i32 buffer run as
 * {@link I32BufferTransposeProgram}. It wraps `WebGPUBackend.runWebGPUProgram` rather than the
 * registered Transpose kernel because TF.js's reductions, ArgMax/ArgMin, Cumsum, Einsum and
 * UnsortedSegmentSum call the transpose function directly, past the kernel registry. Idempotent.
 */
export function installWebGpuTransposeFix(): void {
  if (installed) return;
  const prototype = WebGPUBackend.prototype;
  const run: RunProgram = prototype.runWebGPUProgram;
  prototype.runWebGPUProgram = function (this: WebGPUBackend, program, inputs, ...rest) {
    const perm = transposePermutation(program);
    const x = inputs[0];
    if (
      perm &&
      x &&
      inputs.length === 1 &&
      x.shape.length >= 2 &&
      x.shape.length <= COORDS.length
    ) {
      const stored = this.tensorMap.get(x.dataId).dtype;
      if (stored === 'int32' || stored === 'bool') {
        return run.call(this, new I32BufferTransposeProgram(x.shape, perm), inputs, ...rest);
      }
    }
    return run.call(this, program, inputs, ...rest);
  };
  installed = true;
}
