import * as tf from '@tensorflow/tfjs';
import type { ProgressCallback } from '../../progress.ts';
import { initBertWeights, type BertWeights } from '../../model/init.ts';
import { exportableBertConfig, type BertEncoderConfig } from './config.ts';
import { activation, dropout, layerNorm, linear } from './layers.ts';
import { checkBertWeights, readBertSafetensors, writeBertSafetensors } from './weights-io.ts';

/**
 * Added to attention scores of padded keys. HF adds finfo(float32).min; any value this negative
 * gives exp(·) = 0 in float32 just the same, and −1e9 cannot overflow to −∞ should a backend
 * compute in lower precision.
 */
const MASKED_SCORE = -1e9;

export interface ForwardOptions {
  /** Dropout on (training) or off (inference, deterministic); default off. */
  training?: boolean;
  /** Seeds the dropout masks: the same seed gives the same masks on every backend. */
  seed?: number;
}

export interface BertEncoder {
  readonly config: BertEncoderConfig;
  /** Trainable variables under their HF `BertModel` names, weights in PyTorch [out, in] layout. */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  /**
   * Last hidden state [batch, seq, hidden] for int ids [batch, seq], a 0/1 attention mask and
   * optional token type ids (zeros when left out). Runs inside tf.tidy; the caller owns the result.
   */
  forward(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    tokenTypeIds?: tf.Tensor2D,
    options?: ForwardOptions,
  ): tf.Tensor3D;
  /** A float32 copy of every weight, read with `await data()` (safe on webgpu). */
  readWeights(): Promise<BertWeights>;
  /** Overwrites the variables in place; shapes must match the config. */
  assignWeights(weights: BertWeights): void;
  /** `model.safetensors` bytes with HF BertModel names. */
  toSafetensors(metadata?: Record<string, string>): Promise<Uint8Array>;
  dispose(): void;
}

export interface CreateBertEncoderOptions {
  /** Seed for HF-style random initialisation when no weights are given. */
  seed?: number;
  /** Also create `pooler.dense.*` when initialising (HF's BertModel has it; default true). */
  pooler?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/**
 * A BERT encoder (HF `BertModel` minus the pooler's use) as TF.js variables on the active backend.
 * Without `weights` it is initialised as HF does, from `options.seed`.
 */
export async function createBertEncoder(
  config: BertEncoderConfig,
  weights?: BertWeights,
  options: CreateBertEncoderOptions = {},
): Promise<BertEncoder> {
  const initial =
    weights ??
    (await initBertWeights(exportableBertConfig({ ...config, hiddenAct: 'gelu' }), {
      seed: options.seed ?? 0,
      pooler: options.pooler ?? true,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    }));
  checkBertWeights(config, initial);
  const variables = new Map<string, tf.Variable>();
  for (const [name, tensor] of initial) {
    // Unnamed: TF.js variable names are global, and several encoders may coexist. The pooler is
    // kept for saving but not trained: the last hidden state (and MLM) never reaches it.
    const trainable = !name.startsWith('pooler.');
    // tf.variable copies its initial value: dispose the temporary, or every model leaks one
    // tensor (a GPU buffer on webgpu) per weight.
    const initial = tf.tensor(tensor.data, tensor.shape, 'float32');
    variables.set(name, tf.variable(initial, trainable));
    initial.dispose();
  }
  return new TfBertEncoder(config, variables);
}

/** An encoder from `model.safetensors` bytes; tensors outside the encoder are ignored. */
export async function loadBertEncoder(
  config: BertEncoderConfig,
  safetensors: Uint8Array | ArrayBuffer,
): Promise<BertEncoder> {
  return createBertEncoder(config, readBertSafetensors(config, safetensors).encoder);
}

class TfBertEncoder implements BertEncoder {
  constructor(
    readonly config: BertEncoderConfig,
    readonly variables: Map<string, tf.Variable>,
  ) {}

  forward(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    tokenTypeIds?: tf.Tensor2D,
    options: ForwardOptions = {},
  ): tf.Tensor3D {
    const [batch, seq] = inputIds.shape;
    if (attentionMask.shape[0] !== batch || attentionMask.shape[1] !== seq) {
      throw new RangeError(
        `attention mask shape [${attentionMask.shape.join(', ')}] differs from input ids [${batch}, ${seq}]`,
      );
    }
    if (seq > this.config.maxPositionEmbeddings) {
      throw new RangeError(
        `Sequence length ${seq} exceeds max_position_embeddings ${this.config.maxPositionEmbeddings}`,
      );
    }
    const training = options.training ?? false;
    let site = 0;
    // Each dropout site gets its own stream under the forward pass's seed.
    const drop = (x: tf.Tensor, rate: number): tf.Tensor =>
      training
        ? dropout(x, rate, options.seed === undefined ? undefined : `${options.seed}:${site++}`)
        : x;
    return tf.tidy(() => {
      const ids = inputIds.toInt();
      const types = tokenTypeIds ? tokenTypeIds.toInt() : tf.zerosLike(ids);
      const positions = tf.range(0, seq, 1, 'int32');
      const embedded = tf.add(
        tf.add(
          tf.gather(this.v('embeddings.word_embeddings.weight'), ids),
          tf.gather(this.v('embeddings.token_type_embeddings.weight'), types),
        ),
        tf.gather(this.v('embeddings.position_embeddings.weight'), positions).expandDims(0),
      );
      let x = drop(this.norm('embeddings.LayerNorm', embedded), this.config.hiddenDropoutProb);
      // [batch, 1, 1, seq]: broadcast over heads and query positions, as HF's extended mask.
      const maskAdd = tf
        .mul(tf.sub(1, attentionMask.toFloat()), MASKED_SCORE)
        .reshape([batch, 1, 1, seq]);
      for (let layer = 0; layer < this.config.numHiddenLayers; layer++) {
        x = this.layer(`encoder.layer.${layer}`, x, maskAdd, drop);
      }
      return x as tf.Tensor3D;
    });
  }

  async readWeights(): Promise<BertWeights> {
    const weights: BertWeights = new Map();
    for (const [name, variable] of this.variables) {
      // A copy: the cpu backend hands out its own storage.
      const data = Float32Array.from((await variable.data()) as Float32Array);
      weights.set(name, { dtype: 'F32', shape: [...variable.shape], data });
    }
    return weights;
  }

  assignWeights(weights: BertWeights): void {
    checkBertWeights(this.config, weights);
    for (const [name, variable] of this.variables) {
      const tensor = weights.get(name);
      if (!tensor) throw new RangeError(`Missing weight "${name}"`);
      tf.tidy(() => variable.assign(tf.tensor(tensor.data, tensor.shape, 'float32')));
    }
  }

  async toSafetensors(metadata?: Record<string, string>): Promise<Uint8Array> {
    return writeBertSafetensors(await this.readWeights(), metadata ? { metadata } : {});
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }

  private v(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) throw new RangeError(`Encoder has no weight "${name}"`);
    return variable;
  }

  private dense(prefix: string, x: tf.Tensor): tf.Tensor {
    return linear(
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
      this.config.layerNormEps,
    );
  }

  /** One post-LN transformer layer, as HF's BertLayer. */
  private layer(
    prefix: string,
    x: tf.Tensor,
    maskAdd: tf.Tensor,
    drop: (x: tf.Tensor, rate: number) => tf.Tensor,
  ): tf.Tensor {
    const [batch, seq, hidden] = x.shape as [number, number, number];
    const heads = this.config.numAttentionHeads;
    const headSize = hidden / heads;
    const split = (t: tf.Tensor) =>
      t.reshape([batch, seq, heads, headSize]).transpose([0, 2, 1, 3]);
    const query = split(this.dense(`${prefix}.attention.self.query`, x));
    const key = split(this.dense(`${prefix}.attention.self.key`, x));
    const value = split(this.dense(`${prefix}.attention.self.value`, x));
    const scores = tf.add(tf.div(tf.matMul(query, key, false, true), Math.sqrt(headSize)), maskAdd);
    const probs = drop(tf.softmax(scores, -1), this.config.attentionProbsDropoutProb);
    const context = tf.matMul(probs, value).transpose([0, 2, 1, 3]).reshape([batch, seq, hidden]);
    const attended = this.norm(
      `${prefix}.attention.output.LayerNorm`,
      tf.add(
        drop(
          this.dense(`${prefix}.attention.output.dense`, context),
          this.config.hiddenDropoutProb,
        ),
        x,
      ),
    );
    const intermediate = activation(
      this.dense(`${prefix}.intermediate.dense`, attended),
      this.config.hiddenAct,
    );
    return this.norm(
      `${prefix}.output.LayerNorm`,
      tf.add(
        drop(this.dense(`${prefix}.output.dense`, intermediate), this.config.hiddenDropoutProb),
        attended,
      ),
    );
  }
}
