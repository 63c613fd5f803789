/**
 * A plain, slow BERT encoder forward pass in float64, written straight from the HF BertModel
 * definition (post-LN layers, exact erf GELU, additive float32-min mask on padded keys). It reads
 * the PyTorch-layout weights ([out, in]) directly and shares no code with the ONNX exporter, so
 * agreement between the two checks the exported graph. For tests only.
 */
import type { BertConfig } from '../../src/core/model/bert-config.ts';

export interface ReferenceTensor {
  shape: readonly number[];
  data: Float32Array;
}

export interface ReferenceInputs {
  inputIds: readonly (readonly number[])[];
  attentionMask: readonly (readonly number[])[];
  tokenTypeIds?: readonly (readonly number[])[];
}

/** [batch, seq, hidden] row-major. */
export interface HiddenStates {
  batch: number;
  seq: number;
  hidden: number;
  data: Float64Array;
}

const MASKED_SCORE = -3.4028234663852886e38;

export function referenceBertForward(
  config: BertConfig,
  weights: ReadonlyMap<string, ReferenceTensor>,
  inputs: ReferenceInputs,
): HiddenStates {
  const batch = inputs.inputIds.length;
  const seq = inputs.inputIds[0]?.length ?? 0;
  const h = config.hiddenSize;
  const out = new Float64Array(batch * seq * h);
  const w = (name: string): Float32Array => {
    const tensor = weights.get(name);
    if (!tensor) throw new Error(`reference: missing ${name}`);
    return tensor.data;
  };
  for (let b = 0; b < batch; b++) {
    const ids = row(inputs.inputIds, b);
    const mask = row(inputs.attentionMask, b);
    const types = inputs.tokenTypeIds ? row(inputs.tokenTypeIds, b) : ids.map(() => 0);
    let x = embed(config, w, ids, types);
    for (let l = 0; l < config.numHiddenLayers; l++)
      x = layer(config, w, `encoder.layer.${l}`, x, mask);
    out.set(x, b * seq * h);
  }
  return { batch, seq, hidden: h, data: out };
}

function embed(
  config: BertConfig,
  w: (name: string) => Float32Array,
  ids: readonly number[],
  types: readonly number[],
): Float64Array {
  const h = config.hiddenSize;
  const word = w('embeddings.word_embeddings.weight');
  const position = w('embeddings.position_embeddings.weight');
  const tokenType = w('embeddings.token_type_embeddings.weight');
  const x = new Float64Array(ids.length * h);
  for (let s = 0; s < ids.length; s++) {
    const id = ids[s] ?? 0;
    const type = types[s] ?? 0;
    for (let j = 0; j < h; j++) {
      x[s * h + j] = at(word, id * h + j) + at(position, s * h + j) + at(tokenType, type * h + j);
    }
  }
  return layerNorm(x, h, w('embeddings.LayerNorm.weight'), w('embeddings.LayerNorm.bias'), config);
}

function layer(
  config: BertConfig,
  w: (name: string) => Float32Array,
  prefix: string,
  x: Float64Array,
  mask: readonly number[],
): Float64Array {
  const h = config.hiddenSize;
  const heads = config.numAttentionHeads;
  const d = h / heads;
  const seq = mask.length;
  const dense = (name: string, input: Float64Array, inSize: number, outSize: number) =>
    linear(input, inSize, outSize, w(`${name}.weight`), w(`${name}.bias`));

  const q = dense(`${prefix}.attention.self.query`, x, h, h);
  const k = dense(`${prefix}.attention.self.key`, x, h, h);
  const v = dense(`${prefix}.attention.self.value`, x, h, h);
  const context = new Float64Array(seq * h);
  const scores = new Float64Array(seq);
  for (let head = 0; head < heads; head++) {
    const offset = head * d;
    for (let i = 0; i < seq; i++) {
      let max = -Infinity;
      for (let j = 0; j < seq; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += at(q, i * h + offset + c) * at(k, j * h + offset + c);
        const score = dot / Math.sqrt(d) + (mask[j] ? 0 : MASKED_SCORE);
        scores[j] = score;
        if (score > max) max = score;
      }
      let sum = 0;
      for (let j = 0; j < seq; j++) {
        const e = Math.exp(at(scores, j) - max);
        scores[j] = e;
        sum += e;
      }
      for (let j = 0; j < seq; j++) {
        const p = at(scores, j) / sum;
        for (let c = 0; c < d; c++) {
          context[i * h + offset + c] =
            at(context, i * h + offset + c) + p * at(v, j * h + offset + c);
        }
      }
    }
  }
  const attended = layerNorm(
    add(dense(`${prefix}.attention.output.dense`, context, h, h), x),
    h,
    w(`${prefix}.attention.output.LayerNorm.weight`),
    w(`${prefix}.attention.output.LayerNorm.bias`),
    config,
  );
  const ff = config.intermediateSize;
  const up = dense(`${prefix}.intermediate.dense`, attended, h, ff).map(gelu);
  return layerNorm(
    add(dense(`${prefix}.output.dense`, up, ff, h), attended),
    h,
    w(`${prefix}.output.LayerNorm.weight`),
    w(`${prefix}.output.LayerNorm.bias`),
    config,
  );
}

/** y = x · Wᵀ + b with W in PyTorch's [out, in] layout. */
function linear(
  x: Float64Array,
  inSize: number,
  outSize: number,
  weight: Float32Array,
  bias: Float32Array,
): Float64Array {
  const rows = x.length / inSize;
  const y = new Float64Array(rows * outSize);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outSize; o++) {
      let sum = at(bias, o);
      const wRow = o * inSize;
      const xRow = r * inSize;
      for (let i = 0; i < inSize; i++) sum += at(x, xRow + i) * at(weight, wRow + i);
      y[r * outSize + o] = sum;
    }
  }
  return y;
}

function layerNorm(
  x: Float64Array,
  size: number,
  gamma: Float32Array,
  beta: Float32Array,
  config: BertConfig,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let start = 0; start < x.length; start += size) {
    let mean = 0;
    for (let j = 0; j < size; j++) mean += at(x, start + j);
    mean /= size;
    let variance = 0;
    for (let j = 0; j < size; j++) variance += (at(x, start + j) - mean) ** 2;
    variance /= size;
    const inv = 1 / Math.sqrt(variance + config.layerNormEps);
    for (let j = 0; j < size; j++) {
      y[start + j] = (at(x, start + j) - mean) * inv * at(gamma, j) + at(beta, j);
    }
  }
  return y;
}

function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((value, i) => value + at(b, i));
}

/** Exact GELU, as HF's "gelu": x · Φ(x) = ½x(1 + erf(x/√2)). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/**
 * erf to ~1e-15: Maclaurin series for |x| < 2.5, Lentz-free continued fraction of erfc beyond
 * (evaluated bottom-up with a fixed depth that converges there).
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const next = term / (2 * n + 1);
      sum += next;
      if (Math.abs(next) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
  let fraction = ax;
  for (let n = 80; n >= 1; n--) fraction = ax + n / 2 / fraction;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / fraction;
  return Math.sign(x) * (1 - erfc);
}

/** Mean of the hidden states over positions with attention_mask 1, per sequence. */
export function meanPool(
  states: HiddenStates,
  attentionMask: readonly (readonly number[])[],
): Float64Array[] {
  const { seq, hidden, data } = states;
  return attentionMask.map((mask, b) => {
    const pooled = new Float64Array(hidden);
    let count = 0;
    for (let s = 0; s < seq; s++) {
      if (!mask[s]) continue;
      count++;
      for (let j = 0; j < hidden; j++)
        pooled[j] = at(pooled, j) + at(data, (b * seq + s) * hidden + j);
    }
    return pooled.map((value) => value / Math.max(count, 1));
  });
}

export function l2Normalize(vector: Float64Array): Float64Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  return vector.map((value) => value / Math.max(norm, 1e-12));
}

function row(rows: readonly (readonly number[])[], index: number): readonly number[] {
  const value = rows[index];
  if (!value) throw new Error(`reference: missing row ${index}`);
  return value;
}

/** Indexed read that satisfies noUncheckedIndexedAccess without hiding out-of-range bugs. */
function at(array: Float32Array | Float64Array, index: number): number {
  const value = array[index];
  if (value === undefined) throw new Error(`reference: index ${index} out of range`);
  return value;
}
