import * as tf from '@tensorflow/tfjs';
import { initGpt2Weights, type Gpt2Weights } from '../../model/decoder/gpt2-weights.ts';
import { causalMaskAdd, multiHeadAttention } from '../transformer/attention.ts';
import {
  checkForwardInputs,
  forwardDropout,
  type Dropout,
  type ForwardOptions,
} from '../transformer/forward.ts';
import { activation, conv1d } from '../transformer/layers.ts';
import { ModelVariables } from '../transformer/variables.ts';
import type { DecoderConfig } from './config.ts';
import { projectToVocab } from './ops.ts';
import { checkGpt2Weights, readGpt2Safetensors, writeGpt2Safetensors } from './weights-io.ts';

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
  const variables = ModelVariables.create('Decoder', initial);
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
    private readonly weights: ModelVariables,
  ) {}

  get variables(): ReadonlyMap<string, tf.Variable> {
    return this.weights.map;
  }

  forward(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    options: DecoderForwardOptions = {},
  ): tf.Tensor3D {
    checkForwardInputs(inputIds, attentionMask, this.config.nPositions, 'n_positions');
    const drop = forwardDropout(options);
    return tf.tidy(() => {
      const [batch, seq] = inputIds.shape;
      const positions = options.positionIds
        ? options.positionIds.toInt()
        : tf.tile(tf.range(0, seq, 1, 'int32').expandDims(0), [batch, 1]);
      let x = drop(
        tf.add(
          tf.gather(this.weights.get('transformer.wte.weight'), inputIds.toInt()),
          tf.gather(this.weights.get('transformer.wpe.weight'), positions),
        ),
        this.config.embdPdrop,
      );
      const maskAdd = causalMaskAdd(attentionMask);
      for (let layer = 0; layer < this.config.nLayer; layer++) {
        x = this.block(`transformer.h.${layer}`, x, maskAdd, drop);
      }
      return this.norm('transformer.ln_f', x) as tf.Tensor3D;
    });
  }

  logits(hidden: tf.Tensor2D): tf.Tensor2D {
    const head = this.config.tieWordEmbeddings ? 'transformer.wte.weight' : 'lm_head.weight';
    return projectToVocab(hidden, this.weights.matrix(head));
  }

  readWeights(): Promise<Gpt2Weights> {
    return this.weights.read();
  }

  assignWeights(weights: Gpt2Weights): void {
    checkGpt2Weights(this.config, weights);
    this.weights.assign(weights);
  }

  async toSafetensors(metadata?: Record<string, string>): Promise<Uint8Array> {
    return writeGpt2Safetensors(this.config, await this.readWeights(), metadata);
  }

  dispose(): void {
    this.weights.dispose();
  }

  private conv(prefix: string, x: tf.Tensor): tf.Tensor {
    return conv1d(
      x,
      this.weights.matrix(`${prefix}.weight`),
      this.weights.vector(`${prefix}.bias`),
    );
  }

  private norm(prefix: string, x: tf.Tensor): tf.Tensor {
    return this.weights.layerNorm(prefix, x, this.config.layerNormEpsilon);
  }

  /** One pre-LN block, as HF's GPT2Block: x + attn(ln_1 x), then + mlp(ln_2 ·). */
  private block(prefix: string, x: tf.Tensor, maskAdd: tf.Tensor, drop: Dropout): tf.Tensor {
    // c_attn is one fused [d, 3d] projection: query, key and value side by side.
    const [query, key, value] = tf.split(
      this.conv(`${prefix}.attn.c_attn`, this.norm(`${prefix}.ln_1`, x)),
      3,
      -1,
    ) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const context = multiHeadAttention(query, key, value, {
      heads: this.config.nHead,
      maskAdd,
      drop,
      probsDropout: this.config.attnPdrop,
    });
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
