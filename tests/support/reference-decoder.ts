import type { Gpt2Config } from '../../src/core/model/decoder/gpt2-config.ts';
import type { Gpt2Weights } from '../../src/core/model/decoder/gpt2-weights.ts';

/**
 * An independent GPT-2 forward in float64, written from the HF modeling_gpt2 equations (not from
 * the ONNX graph): learned positions, pre-LayerNorm blocks, causal + padding mask, gelu_new, and
 * the LM head. Slow and plain on purpose; used only to check the exporter.
 */
export interface DecoderInputs {
  inputIds: number[][];
  /** 1 for tokens, 0 for padding; default all ones. */
  attentionMask?: number[][];
  /** Default: cumulative count of attended tokens − 1 (transformers.js' rule). */
  positionIds?: number[][];
}

const MASKED = -3.4028234663852886e38;

type Vector = ArrayLike<number>;

function at(values: Vector, i: number): number {
  const value = values[i];
  if (value === undefined) throw new RangeError(`index ${i} outside ${values.length}`);
  return value;
}

function row<T>(rows: readonly T[], i: number): T {
  const value = rows[i];
  if (value === undefined) throw new RangeError(`row ${i} outside ${rows.length}`);
  return value;
}

function tensor(weights: Gpt2Weights, name: string): Float32Array {
  const t = weights.get(name);
  if (!t) throw new Error(`missing ${name}`);
  return t.data;
}

function layerNorm(x: Float64Array, gamma: Vector, beta: Vector, eps: number): Float64Array {
  const n = x.length;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= n;
  let variance = 0;
  for (const v of x) variance += (v - mean) ** 2;
  variance /= n;
  const inv = 1 / Math.sqrt(variance + eps);
  return x.map((v, i) => (v - mean) * inv * at(gamma, i) + at(beta, i));
}

/** x [in] · W [in, out] + b. */
function conv1d(x: Float64Array, w: Vector, b: Vector, outDim: number): Float64Array {
  const out = Float64Array.from({ length: outDim }, (_, o) => at(b, o));
  for (let i = 0; i < x.length; i++) {
    const xi = at(x, i);
    const base = i * outDim;
    for (let o = 0; o < outDim; o++) out[o] = at(out, o) + xi * at(w, base + o);
  }
  return out;
}

function geluNew(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
}

export function defaultPositionIds(mask: number[][]): number[][] {
  return mask.map((r) => {
    let count = 0;
    return r.map((m) => {
      count += m;
      return m === 1 ? count - 1 : 1;
    });
  });
}

/** Causal self-attention of one layer over a whole sequence; returns merged heads [seq][d]. */
function attention(qkv: Float64Array[], mask: number[], d: number, heads: number): Float64Array[] {
  const hs = d / heads;
  const seq = qkv.length;
  const merged = qkv.map(() => new Float64Array(d));
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < seq; i++) {
      const q = row(qkv, i);
      const scores = new Float64Array(seq);
      for (let j = 0; j < seq; j++) {
        const k = row(qkv, j);
        let dot = 0;
        for (let c = 0; c < hs; c++) dot += at(q, h * hs + c) * at(k, d + h * hs + c);
        const allowed = j <= i && at(mask, j) === 1;
        scores[j] = dot / Math.sqrt(hs) + (allowed ? 0 : MASKED);
      }
      const max = Math.max(...scores);
      const exps = scores.map((s) => Math.exp(s - max));
      const sum = exps.reduce((a, b) => a + b, 0);
      const out = row(merged, i);
      for (let j = 0; j < seq; j++) {
        const weight = at(exps, j) / sum;
        const v = row(qkv, j);
        for (let c = 0; c < hs; c++) {
          out[h * hs + c] = at(out, h * hs + c) + weight * at(v, 2 * d + h * hs + c);
        }
      }
    }
  }
  return merged;
}

/** Logits [batch][seq][vocab] for whole sequences. */
export function referenceGpt2Logits(
  config: Gpt2Config,
  weights: Gpt2Weights,
  inputs: DecoderInputs,
): Float64Array[][] {
  const d = config.nEmbd;
  const eps = config.layerNormEpsilon;
  const masks = inputs.attentionMask ?? inputs.inputIds.map((r) => r.map(() => 1));
  const positions = inputs.positionIds ?? defaultPositionIds(masks);
  const wte = tensor(weights, 'transformer.wte.weight');
  const wpe = tensor(weights, 'transformer.wpe.weight');
  const head = tensor(
    weights,
    config.tieWordEmbeddings ? 'transformer.wte.weight' : 'lm_head.weight',
  );
  return inputs.inputIds.map((ids, b) => {
    const mask = row(masks, b);
    const position = row(positions, b);
    let hidden = ids.map((id, s) => {
      const p = at(position, s);
      return Float64Array.from({ length: d }, (_, k) => at(wte, id * d + k) + at(wpe, p * d + k));
    });
    for (let l = 0; l < config.nLayer; l++) {
      const w = (name: string) => tensor(weights, `transformer.h.${l}.${name}`);
      const qkv = hidden.map((x) =>
        conv1d(
          layerNorm(x, w('ln_1.weight'), w('ln_1.bias'), eps),
          w('attn.c_attn.weight'),
          w('attn.c_attn.bias'),
          3 * d,
        ),
      );
      const merged = attention(qkv, mask, d, config.nHead);
      hidden = hidden.map((x, s) => {
        const attended = conv1d(row(merged, s), w('attn.c_proj.weight'), w('attn.c_proj.bias'), d);
        const r = x.map((v, k) => v + at(attended, k));
        const up = conv1d(
          layerNorm(r, w('ln_2.weight'), w('ln_2.bias'), eps),
          w('mlp.c_fc.weight'),
          w('mlp.c_fc.bias'),
          config.nInner,
        ).map(geluNew);
        const down = conv1d(up, w('mlp.c_proj.weight'), w('mlp.c_proj.bias'), d);
        return r.map((v, k) => v + at(down, k));
      });
    }
    return hidden.map((x) => {
      const f = layerNorm(
        x,
        tensor(weights, 'transformer.ln_f.weight'),
        tensor(weights, 'transformer.ln_f.bias'),
        eps,
      );
      return Float64Array.from({ length: config.vocabSize }, (_, v) => {
        let dot = 0;
        for (let k = 0; k < d; k++) dot += at(f, k) * at(head, v * d + k);
        return dot;
      });
    });
  });
}

/** Greedy continuation of one prompt (argmax, first index on ties), stopping after `eos`. */
export function referenceGreedy(
  config: Gpt2Config,
  weights: Gpt2Weights,
  prompt: readonly number[],
  maxNewTokens: number,
): number[] {
  const ids = [...prompt];
  const generated: number[] = [];
  for (let step = 0; step < maxNewTokens; step++) {
    const positions = row(referenceGpt2Logits(config, weights, { inputIds: [ids] }), 0);
    const logits = row(positions, positions.length - 1);
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (at(logits, v) > at(logits, best)) best = v;
    generated.push(best);
    ids.push(best);
    if (best === config.eosTokenId) break;
  }
  return generated;
}
