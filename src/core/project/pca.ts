import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { Pacer } from './pacer.ts';
import { ProgressReporter } from '../progress.ts';
import { assertVectors, type LongRunOptions, type PhaseReport, type Vectors } from './types.ts';

/** A fitted PCA: `components` is row-major `[k × dims]`, unit rows, largest variance first. */
export interface PcaModel {
  dims: number;
  components: number;
  mean: Float64Array;
  axes: Float64Array;
  /** Variance along each axis (eigenvalues of the sample covariance). */
  variances: Float64Array;
  /** Sum of all eigenvalues: the data's total variance, to report explained ratios. */
  totalVariance: number;
}

export interface PcaOptions extends LongRunOptions {
  /** Rows per accumulation block; bounds the temporary column-major copy. */
  blockRows?: number;
}

export interface PcaResult {
  model: PcaModel;
  /** `[rows × components]` coordinates, row-major, in input row order. */
  coordinates: Float32Array;
}

const DEFAULT_BLOCK_ROWS = 1024;

/** Accepts one array or the store's blocks, so a million rows never need one contiguous copy. */
export type VectorSource = Vectors | readonly Vectors[];

function firstBlock(blocks: readonly Vectors[]): Vectors {
  const first = blocks[0];
  if (!first) throw new Error('PCA needs at least one row');
  return first;
}

function blocksOf(source: VectorSource): readonly Vectors[] {
  const blocks = Array.isArray(source) ? (source as readonly Vectors[]) : [source as Vectors];
  if (blocks.length === 0) throw new Error('PCA needs at least one row');
  const dims = firstBlock(blocks).dims;
  for (const block of blocks) {
    assertVectors(block);
    if (block.dims !== dims) throw new Error(`blocks differ in dims: ${block.dims} vs ${dims}`);
  }
  return blocks;
}

/**
 * Adds `Xᵀ X` of rows `[start, end)` of one block into `scatter` (`padded × padded`, upper
 * 4×4 tiles only). The rows are first copied column-major (float64, zero-padded to a multiple
 * of 4 columns) so each tile is 16 dot products of contiguous columns sharing 8 loads per row:
 * about 2× faster than one dot product at a time in V8.
 */
function accumulateScatter(
  block: Vectors,
  start: number,
  end: number,
  padded: number,
  columns: Float64Array,
  scatter: Float64Array,
  sums: Float64Array,
): void {
  const { data, dims } = block;
  const count = end - start;
  for (let r = 0; r < count; r++) {
    const base = (start + r) * dims;
    for (let c = 0; c < dims; c++) {
      const value = data[base + c] as number;
      columns[c * count + r] = value;
      sums[c] = (sums[c] as number) + value;
    }
  }
  for (let c = dims; c < padded; c++) columns.fill(0, c * count, (c + 1) * count);
  for (let i = 0; i < padded; i += 4) {
    const a0 = i * count;
    const a1 = a0 + count;
    const a2 = a1 + count;
    const a3 = a2 + count;
    for (let j = i; j < padded; j += 4) {
      const b0 = j * count;
      const b1 = b0 + count;
      const b2 = b1 + count;
      const b3 = b2 + count;
      let s00 = 0,
        s01 = 0,
        s02 = 0,
        s03 = 0,
        s10 = 0,
        s11 = 0,
        s12 = 0,
        s13 = 0;
      let s20 = 0,
        s21 = 0,
        s22 = 0,
        s23 = 0,
        s30 = 0,
        s31 = 0,
        s32 = 0,
        s33 = 0;
      for (let r = 0; r < count; r++) {
        const x0 = columns[a0 + r] as number;
        const x1 = columns[a1 + r] as number;
        const x2 = columns[a2 + r] as number;
        const x3 = columns[a3 + r] as number;
        const y0 = columns[b0 + r] as number;
        const y1 = columns[b1 + r] as number;
        const y2 = columns[b2 + r] as number;
        const y3 = columns[b3 + r] as number;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
        s20 += x2 * y0;
        s21 += x2 * y1;
        s22 += x2 * y2;
        s23 += x2 * y3;
        s30 += x3 * y0;
        s31 += x3 * y1;
        s32 += x3 * y2;
        s33 += x3 * y3;
      }
      let o = i * padded + j;
      scatter[o] = (scatter[o] as number) + s00;
      scatter[o + 1] = (scatter[o + 1] as number) + s01;
      scatter[o + 2] = (scatter[o + 2] as number) + s02;
      scatter[o + 3] = (scatter[o + 3] as number) + s03;
      o += padded;
      scatter[o] = (scatter[o] as number) + s10;
      scatter[o + 1] = (scatter[o + 1] as number) + s11;
      scatter[o + 2] = (scatter[o + 2] as number) + s12;
      scatter[o + 3] = (scatter[o + 3] as number) + s13;
      o += padded;
      scatter[o] = (scatter[o] as number) + s20;
      scatter[o + 1] = (scatter[o + 1] as number) + s21;
      scatter[o + 2] = (scatter[o + 2] as number) + s22;
      scatter[o + 3] = (scatter[o + 3] as number) + s23;
      o += padded;
      scatter[o] = (scatter[o] as number) + s30;
      scatter[o + 1] = (scatter[o + 1] as number) + s31;
      scatter[o + 2] = (scatter[o + 2] as number) + s32;
      scatter[o + 3] = (scatter[o + 3] as number) + s33;
    }
  }
}

/**
 * Fits PCA by one streaming pass that accumulates the `dims × dims` scatter matrix in float64,
 * then a symmetric eigendecomposition (ml-matrix). Exact, deterministic, no copy of the data.
 */
export async function fitPca(
  source: VectorSource,
  components: number,
  options: PcaOptions = {},
): Promise<PcaModel> {
  const reporter = new ProgressReporter(options.onProgress);
  reporter.start('PCA fit');
  const model = await fitPcaPhase(source, components, options, reporter.sub(0, 1));
  reporter.finish('PCA fit done');
  return model;
}

/** {@link fitPca} as one phase of a longer job: reports through `report`, never finishes it. */
export async function fitPcaPhase(
  source: VectorSource,
  components: number,
  options: PcaOptions,
  report: PhaseReport,
): Promise<PcaModel> {
  const blocks = blocksOf(source);
  const dims = firstBlock(blocks).dims;
  if (!Number.isInteger(components) || components < 1 || components > dims) {
    throw new Error(`components must be an integer in [1, ${dims}]`);
  }
  const blockRows = Math.max(1, options.blockRows ?? DEFAULT_BLOCK_ROWS);
  const total = blocks.reduce((sum, b) => sum + b.rows, 0);
  const padded = Math.ceil(dims / 4) * 4;
  const scatter = new Float64Array(padded * padded);
  const sums = new Float64Array(dims);
  const columns = new Float64Array(padded * Math.min(blockRows, total));
  let done = 0;
  for (const block of blocks) {
    for (let start = 0; start < block.rows; start += blockRows) {
      throwIfAborted(options.signal);
      const end = Math.min(block.rows, start + blockRows);
      accumulateScatter(block, start, end, padded, columns, scatter, sums);
      done += end - start;
      report(done, total, 'covariance');
      await yieldToEventLoop();
    }
  }
  const mean = sums.map((s) => s / total);
  const denominator = Math.max(1, total - 1);
  const covariance = new Matrix(dims, dims);
  for (let i = 0; i < dims; i++) {
    for (let j = i; j < dims; j++) {
      const value =
        ((scatter[i * padded + j] as number) - total * (mean[i] as number) * (mean[j] as number)) /
        denominator;
      covariance.set(i, j, value);
      covariance.set(j, i, value);
    }
  }
  throwIfAborted(options.signal);
  const evd = new EigenvalueDecomposition(covariance, { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const vectors = evd.eigenvectorMatrix;
  const order = values
    .map((_, i) => i)
    .sort((a, b) => (values[b] as number) - (values[a] as number));
  const axes = new Float64Array(components * dims);
  const variances = new Float64Array(components);
  for (let k = 0; k < components; k++) {
    const column = order[k] as number;
    variances[k] = Math.max(0, values[column] as number);
    // Fix each axis's sign (largest |loading| positive) so results do not flip between runs.
    let pivot = 0;
    for (let i = 0; i < dims; i++) {
      if (Math.abs(vectors.get(i, column)) > Math.abs(vectors.get(pivot, column))) pivot = i;
    }
    const sign = vectors.get(pivot, column) < 0 ? -1 : 1;
    for (let i = 0; i < dims; i++) axes[k * dims + i] = sign * vectors.get(i, column);
  }
  const totalVariance = values.reduce((sum, v) => sum + Math.max(0, v), 0);
  return { dims, components, mean, axes, variances, totalVariance };
}

/** Projects rows onto a fitted model's axes, block by block, into one `[rows × k]` array. */
export async function applyPca(
  model: PcaModel,
  source: VectorSource,
  options: LongRunOptions = {},
  report?: PhaseReport,
): Promise<Float32Array> {
  const blocks = blocksOf(source);
  const { dims, components: k } = model;
  if (firstBlock(blocks).dims !== dims)
    throw new Error(`model has ${dims} dims, data ${firstBlock(blocks).dims}`);
  const total = blocks.reduce((sum, b) => sum + b.rows, 0);
  const out = new Float32Array(total * k);
  const pacer = new Pacer(options.signal);
  let row = 0;
  for (const block of blocks) {
    for (let start = 0; start < block.rows; start += 1024) {
      const end = Math.min(block.rows, start + 1024);
      projectRows(model, block, start, end, out, row);
      row += end - start;
      if (pacer.due()) {
        report?.(row, total, 'projecting');
        await pacer.breathe();
      }
    }
  }
  report?.(total, total, 'projecting');
  return out;
}

/** PCA of `source` to `components` dims: fit (streaming covariance) then project. */
export async function pca(
  source: VectorSource,
  components: number,
  options: PcaOptions = {},
): Promise<PcaResult> {
  const reporter = new ProgressReporter(options.onProgress);
  reporter.start('PCA');
  const model = await fitPcaPhase(source, components, options, reporter.sub(0, 0.8));
  const coordinates = await applyPca(model, source, options, reporter.sub(0.8, 1));
  reporter.finish('PCA done');
  return { model, coordinates };
}

/**
 * Rows `[start, end)` of `block` projected into `out` from row `outRow` on. Four axes at a time
 * share each centred value's load, which is about twice as fast as one dot product at a time.
 */
function projectRows(
  model: PcaModel,
  block: Vectors,
  start: number,
  end: number,
  out: Float32Array,
  outRow: number,
): void {
  const { dims, components: k, mean, axes } = model;
  const { data } = block;
  const centred = new Float64Array(dims);
  for (let r = start; r < end; r++) {
    const base = r * dims;
    for (let c = 0; c < dims; c++) centred[c] = (data[base + c] as number) - (mean[c] as number);
    const o = (outRow + r - start) * k;
    let j = 0;
    for (; j + 3 < k; j += 4) {
      const a0 = j * dims;
      const a1 = a0 + dims;
      const a2 = a1 + dims;
      const a3 = a2 + dims;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let c = 0; c < dims; c++) {
        const x = centred[c] as number;
        s0 += x * (axes[a0 + c] as number);
        s1 += x * (axes[a1 + c] as number);
        s2 += x * (axes[a2 + c] as number);
        s3 += x * (axes[a3 + c] as number);
      }
      out[o + j] = s0;
      out[o + j + 1] = s1;
      out[o + j + 2] = s2;
      out[o + j + 3] = s3;
    }
    for (; j < k; j++) {
      const axis = j * dims;
      let s = 0;
      for (let c = 0; c < dims; c++) s += (centred[c] as number) * (axes[axis + c] as number);
      out[o + j] = s;
    }
  }
}
