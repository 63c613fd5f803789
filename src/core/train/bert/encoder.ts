import * as tf from '@tensorflow/tfjs';
import type { ProgressCallback } from '../../progress.ts';
import { initBertWeights, type BertWeights } from '../../model/init.ts';
import { exportableBertConfig, type BertEncoderConfig } from './config.ts';
import { paddingMaskAdd, multiHeadAttention } from '../transformer/attention.ts';
import {
  checkForwardInputs,
  forwardDropout,
  type Dropout,
  type ForwardOptions,
} from '../transformer/forward.ts';
import { activation, linear } from '../transformer/layers.ts';
import { ModelVariables } from '../transformer/variables.ts';
import { checkBertWeights, readBertSafetensors, writeBertSafetensors } from './weights-io.ts';

export type { ForwardOptions } from '../transformer/forward.ts';

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
  // The pooler is kept for saving but not trained: the last hidden state (and MLM) never reaches it.
  const variables = ModelVariables.create(
    'Encoder',
    initial,
    (name) => !name.startsWith('pooler.'),
  );
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
    private readonly weights: ModelVariables,
  ) {}

  get variables(): ReadonlyMap<string, tf.Variable> {
    return this.weights.map;
  }

  forward(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    tokenTypeIds?: tf.Tensor2D,
    options: ForwardOptions = {},
  ): tf.Tensor3D {
    const { maxPositionEmbeddings } = this.config;
    checkForwardInputs(inputIds, attentionMask, maxPositionEmbeddings, 'max_position_embeddings');
    const drop = forwardDropout(options);
    return tf.tidy(() => {
      const ids = inputIds.toInt();
      const types = tokenTypeIds ? tokenTypeIds.toInt() : tf.zerosLike(ids);
      const positions = tf.range(0, inputIds.shape[1], 1, 'int32');
      const embedded = tf.add(
        tf.add(
          tf.gather(this.weights.get('embeddings.word_embeddings.weight'), ids),
          tf.gather(this.weights.get('embeddings.token_type_embeddings.weight'), types),
        ),
        tf
          .gather(this.weights.get('embeddings.position_embeddings.weight'), positions)
          .expandDims(0),
      );
      let x = drop(this.norm('embeddings.LayerNorm', embedded), this.config.hiddenDropoutProb);
      const maskAdd = paddingMaskAdd(attentionMask);
      for (let layer = 0; layer < this.config.numHiddenLayers; layer++) {
        x = this.layer(`encoder.layer.${layer}`, x, maskAdd, drop);
      }
      return x as tf.Tensor3D;
    });
  }

  readWeights(): Promise<BertWeights> {
    return this.weights.read();
  }

  assignWeights(weights: BertWeights): void {
    checkBertWeights(this.config, weights);
    this.weights.assign(weights);
  }

  async toSafetensors(metadata?: Record<string, string>): Promise<Uint8Array> {
    return writeBertSafetensors(await this.readWeights(), metadata ? { metadata } : {});
  }

  dispose(): void {
    this.weights.dispose();
  }

  private dense(prefix: string, x: tf.Tensor): tf.Tensor {
    return linear(
      x,
      this.weights.matrix(`${prefix}.weight`),
      this.weights.vector(`${prefix}.bias`),
    );
  }

  private norm(prefix: string, x: tf.Tensor): tf.Tensor {
    return this.weights.layerNorm(prefix, x, this.config.layerNormEps);
  }

  /** One post-LN transformer layer, as HF's BertLayer: LayerNorm after each residual add. */
  private layer(prefix: string, x: tf.Tensor, maskAdd: tf.Tensor, drop: Dropout): tf.Tensor {
    const self = `${prefix}.attention.self`;
    const context = multiHeadAttention(
      this.dense(`${self}.query`, x),
      this.dense(`${self}.key`, x),
      this.dense(`${self}.value`, x),
      {
        heads: this.config.numAttentionHeads,
        maskAdd,
        drop,
        probsDropout: this.config.attentionProbsDropoutProb,
      },
    );
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
