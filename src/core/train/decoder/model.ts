import * as tf from '@tensorflow/tfjs';
import { gpt2HeadSize } from '../../model/decoder/gpt2-config.ts';
import { initGpt2Weights, type Gpt2Weights } from '../../model/decoder/gpt2-weights.ts';
import type { ForwardOptions } from '../bert/encoder.ts';
import { activation, dropout, layerNorm } from '../bert/layers.ts';
import type { DecoderConfig } from './config.ts';
import { conv1d, projectToVocab } from './ops.ts';
import { checkGpt2Weights, readGpt2Safetensors, writeGpt2Safetensors } from './weights-io.ts';

/**
 * Added to the scores of keys a query may not see (later positions, padding). HF adds
 * finfo(float32).min; any value this negative gives exp(·) = 0 in float32 just the same.
 */
const MASKED_SCORE = -1e9;

export interface DecoderForwardOptions extends ForwardOptions {
  /**
   * Position ids [batch, seq]; default 0…seq−1 on every row (right padding, as training uses).
   * Left-padded batches pass transformers.js' rule: cumulative count of attended tokens − 1.
   */
  positionIds?: tf.Tensor2D;
}

export interface Gpt2Decoder {
  readonly config: DecoderConfig;
  /** Trainable variables under their HF GPT2LMHeadModel names (Conv1D weights [in, out]). */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  /**
   * Final hidden states [batch, seq, n_embd] (after ln_f) for int ids [batch, seq] and a 0/1
   * attention mask: causal self-attention that also skips padded keys. Runs inside tf.tidy.
   */
  forward(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    options?: DecoderForwardOptions,
  ): tf.Tensor3D;
  /** Vocabulary logits of hidden rows [n, n_embd] through the (tied) output head. */
  logits(hidden: tf.Tensor2D): tf.Tensor2D;
  /** A float32 copy of every weight, read with `await data()` (safe on webgpu). */
  readWeights(): Promise<Gpt2Weights>;
  assignWeights(weights: Gpt2Weights): void;
  /** `model.safetensors` bytes with HF GPT2LMHeadModel names. */
  toSafetensors(metadata?: Record<string, string>): Promise<Uint8Array>;
  dispose(): void;
}

/**
 * A GPT-2 (HF GPT2LMHeadModel: learned positions, pre-LayerNorm blocks, gelu_new, tied head)
 * as TF.js variables on the active backend; without `weights`, initialised as HF does from
 * `seed` (the decoder writer's initialiser).
 */
export async function createGpt2Decoder(
  config: DecoderConfig,
  weights?: Gpt2Weights,
  options: { seed?: number; signal?: AbortSignal } = {},
): Promise<Gpt2Decoder> {
  const initial =
    weights ??
    (await initGpt2Weights(config, {
      seed: options.seed ?? 0,
      ...(options.signal ? { signal: options.signal } : {}),
    }));
  checkGpt2Weights(config, initial);
  const variables = new Map<string, tf.Variable>();
  for (const [name, tensor] of initial) {
    // Unnamed (TF.js variable names are global); the temporary is disposed as tf.variable copies.
    const value = tf.tensor(tensor.data, tensor.shape, 'float32');
    variables.set(name, tf.variable(value, true));
    value.dispose();
  }
  return new TfGpt2Decoder(config, variables);
}

/** A decoder from `model.safetensors` bytes; tensors outside the model are ignored. */
export async function loadGpt2Decoder(
  config: DecoderConfig,
  safetensors: Uint8Array | ArrayBuffer,
): Promise<Gpt2Decoder> {
  return createGpt2Decoder(config, readGpt2Safetensors(config, safetensors).weights);
}

class TfGpt2Decoder implements Gpt2Decoder {
  constructor(
    readonly config: DecoderConfig,
    readonly variables: Map<string, tf.Variable>,
  ) {}

  forward(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    options: DecoderForwardOptions = {},
  ): tf.Tensor3D {
    const [batch, seq] = inputIds.shape;
    if (attentionMask.shape[0] !== batch || attentionMask.shape[1] !== seq) {
      throw new RangeError(
        `attention mask shape [${attentionMask.shape.join(', ')}] differs from input ids [${batch}, ${seq}]`,
      );
    }
    if (seq > this.config.nPositions) {
      throw new RangeError(`Sequence length ${seq} exceeds n_positions ${this.config.nPositions}`);
    }
    const training = options.training ?? false;
    let site = 0;
    // Each dropout site gets its own stream under the forward pass's seed.
    const drop = (x: tf.Tensor, rate: number): tf.Tensor =>
      training
        ? dropout(x, rate, options.seed === undefined ? undefined : `${options.seed}:${site++}`)
        : x;
    return tf.tidy(() => {
      const positions = options.positionIds
        ? options.positionIds.toInt()
        : tf.tile(tf.range(0, seq, 1, 'int32').expandDims(0), [batch, 1]);
      let x = drop(
        tf.add(
          tf.gather(this.v('transformer.wte.weight'), inputIds.toInt()),
          tf.gather(this.v('transformer.wpe.weight'), positions),
        ),
        this.config.embdPdrop,
      );
      // Query i sees key j when j ≤ i and j is not padding: [batch, 1, seq, seq].
      const causal = tf.linalg.bandPart(tf.ones([seq, seq]), -1, 0).reshape([1, 1, seq, seq]);
      const allowed = tf.mul(causal, attentionMask.toFloat().reshape([batch, 1, 1, seq]));
      const maskAdd = tf.mul(tf.sub(1, allowed), MASKED_SCORE);
      for (let layer = 0; layer < this.config.nLayer; layer++) {
        x = this.block(`transformer.h.${layer}`, x, maskAdd, drop);
      }
      return this.norm('transformer.ln_f', x) as tf.Tensor3D;
    });
  }

  logits(hidden: tf.Tensor2D): tf.Tensor2D {
    const head = this.config.tieWordEmbeddings ? 'transformer.wte.weight' : 'lm_head.weight';
    return projectToVocab(hidden, this.v(head) as tf.Variable<tf.Rank.R2>);
  }

  async readWeights(): Promise<Gpt2Weights> {
    const weights: Gpt2Weights = new Map();
    for (const [name, variable] of this.variables) {
      // A copy: the cpu backend hands out its own storage.
      const data = Float32Array.from((await variable.data()) as Float32Array);
      weights.set(name, { dtype: 'F32', shape: [...variable.shape], data });
    }
    return weights;
  }

  assignWeights(weights: Gpt2Weights): void {
    checkGpt2Weights(this.config, weights);
    for (const [name, variable] of this.variables) {
      const tensor = weights.get(name);
      if (!tensor) throw new RangeError(`Missing weight "${name}"`);
      tf.tidy(() => variable.assign(tf.tensor(tensor.data, tensor.shape, 'float32')));
    }
  }

  async toSafetensors(metadata?: Record<string, string>): Promise<Uint8Array> {
    return writeGpt2Safetensors(this.config, await this.readWeights(), metadata);
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }

  private v(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) throw new RangeError(`Decoder has no weight "${name}"`);
    return variable;
  }

  private conv(prefix: string, x: tf.Tensor): tf.Tensor {
    return conv1d(
      x,
      this.v(`${prefix}.weight`) as tf.Variable<tf.Rank.R2>,
      this.v(`${prefix}.bias`) as tf.Variable<tf.Rank.R1>,
    );
  }

  private norm(prefix: string, x: tf.Tensor): tf.Tensor {
    return layerNorm(
      x,
      this.v(`${prefix}.weight`) as tf.Variable<tf.Rank.R1>,
      this.v(`${prefix}.bias`) as tf.Variable<tf.Rank.R1>,
      this.config.layerNormEpsilon,
    );
  }

  /** One pre-LN block, as HF's GPT2Block: x + attn(ln_1 x), then + mlp(ln_2 ·). */
  private block(
    prefix: string,
    x: tf.Tensor,
    maskAdd: tf.Tensor,
    drop: (x: tf.Tensor, rate: number) => tf.Tensor,
  ): tf.Tensor {
    const [batch, seq, d] = x.shape as [number, number, number];
    const heads = this.config.nHead;
    const size = gpt2HeadSize(this.config);
    const [query, key, value] = tf
      .split(this.conv(`${prefix}.attn.c_attn`, this.norm(`${prefix}.ln_1`, x)), 3, -1)
      .map((t) => t.reshape([batch, seq, heads, size]).transpose([0, 2, 1, 3])) as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    const scores = tf.add(tf.div(tf.matMul(query, key, false, true), Math.sqrt(size)), maskAdd);
    const probs = drop(tf.softmax(scores, -1), this.config.attnPdrop);
    const context = tf.matMul(probs, value).transpose([0, 2, 1, 3]).reshape([batch, seq, d]);
    const attended = tf.add(
      x,
      drop(this.conv(`${prefix}.attn.c_proj`, context), this.config.residPdrop),
    );
    const up = activation(
      this.conv(`${prefix}.mlp.c_fc`, this.norm(`${prefix}.ln_2`, attended)),
      'gelu_new',
    );
    return tf.add(attended, drop(this.conv(`${prefix}.mlp.c_proj`, up), this.config.residPdrop));
  }
}
