import * as tf from '@tensorflow/tfjs';
import type { BertWeights, Float32Tensor } from '../../model/init.ts';
import { SeededRandom } from '../../model/seeded-random.ts';
import type { BertEncoderConfig } from '../bert/config.ts';
import type { BertEncoder } from '../bert/encoder.ts';
import { activation, layerNorm, linear } from '../transformer/layers.ts';
import { BertWeightsError } from '../bert/weights-io.ts';

/** Tensor names of HF's BertForMaskedLM head (the decoder weight is tied to the word embeddings). */
export const MLM_HEAD_NAMES = {
  denseWeight: 'cls.predictions.transform.dense.weight',
  denseBias: 'cls.predictions.transform.dense.bias',
  normWeight: 'cls.predictions.transform.LayerNorm.weight',
  normBias: 'cls.predictions.transform.LayerNorm.bias',
  bias: 'cls.predictions.bias',
} as const;
/** Older checkpoints store the output bias (tied to cls.predictions.bias) under this name too. */
const DECODER_BIAS = 'cls.predictions.decoder.bias';

export interface MlmHead {
  /** The head's own variables under HF names; the decoder weight is the encoder's embeddings. */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  /** Vocabulary logits [rows, vocab] for hidden states [rows, hidden]. */
  logits(hidden: tf.Tensor2D): tf.Tensor2D;
  readWeights(): Promise<BertWeights>;
  dispose(): void;
}

/** Shapes and HF initial values of the head's tensors. */
export function mlmHeadSpecs(
  config: BertEncoderConfig,
): { name: string; shape: number[]; init: 'normal' | 'zeros' | 'ones' }[] {
  const h = config.hiddenSize;
  return [
    { name: MLM_HEAD_NAMES.denseWeight, shape: [h, h], init: 'normal' },
    { name: MLM_HEAD_NAMES.denseBias, shape: [h], init: 'zeros' },
    { name: MLM_HEAD_NAMES.normWeight, shape: [h], init: 'ones' },
    { name: MLM_HEAD_NAMES.normBias, shape: [h], init: 'zeros' },
    { name: MLM_HEAD_NAMES.bias, shape: [config.vocabSize], init: 'zeros' },
  ];
}

/** HF-style initial head weights: normal(0, initializer_range) dense, zero biases, unit LayerNorm. */
export function initMlmHeadWeights(config: BertEncoderConfig, seed: number): BertWeights {
  const weights: BertWeights = new Map();
  for (const spec of mlmHeadSpecs(config)) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    if (spec.init === 'ones') data.fill(1);
    if (spec.init === 'normal') {
      const random = new SeededRandom(seed, spec.name);
      for (let i = 0; i < data.length; i++) data[i] = random.nextNormal() * config.initializerRange;
    }
    weights.set(spec.name, { dtype: 'F32', shape: spec.shape, data });
  }
  return weights;
}

/**
 * The head's tensors from the non-encoder part of a BertForMaskedLM state dict (see
 * `readBertSafetensors(...).rest`), checked against the config. A stored
 * `cls.predictions.decoder.weight` is ignored: it is tied to the word embeddings.
 */
export function pickMlmHeadWeights(config: BertEncoderConfig, rest: BertWeights): BertWeights {
  const weights: BertWeights = new Map();
  for (const spec of mlmHeadSpecs(config)) {
    const tensor: Float32Tensor | undefined =
      rest.get(spec.name) ??
      (spec.name === MLM_HEAD_NAMES.bias ? rest.get(DECODER_BIAS) : undefined);
    if (!tensor) throw new BertWeightsError(`Missing MLM head weight "${spec.name}"`);
    if (tensor.shape.join(',') !== spec.shape.join(',')) {
      throw new BertWeightsError(
        `Weight "${spec.name}" has shape [${tensor.shape.join(', ')}], config needs [${spec.shape.join(', ')}]`,
      );
    }
    weights.set(spec.name, tensor);
  }
  return weights;
}

/**
 * HF's BertOnlyMLMHead: dense → activation → LayerNorm, then a decoder whose weight is the
 * encoder's word-embedding matrix (tied, so both learn together) plus a vocabulary bias.
 */
export function createMlmHead(
  encoder: BertEncoder,
  weights: BertWeights = initMlmHeadWeights(encoder.config, 0),
): MlmHead {
  const config = encoder.config;
  const checked = pickMlmHeadWeights(config, weights);
  const embeddings = encoder.variables.get('embeddings.word_embeddings.weight');
  if (!embeddings) throw new BertWeightsError('The encoder has no word embeddings to tie to');
  const variables = new Map<string, tf.Variable>();
  for (const [name, tensor] of checked) {
    const initial = tf.tensor(tensor.data, tensor.shape, 'float32');
    variables.set(name, tf.variable(initial, true));
    initial.dispose();
  }
  const v = (name: string) => {
    const variable = variables.get(name);
    if (!variable) throw new RangeError(`MLM head has no weight "${name}"`);
    return variable;
  };
  return {
    variables,
    logits(hidden) {
      return tf.tidy(() => {
        const dense = linear(
          hidden,
          v(MLM_HEAD_NAMES.denseWeight) as tf.Variable<tf.Rank.R2>,
          v(MLM_HEAD_NAMES.denseBias) as tf.Variable<tf.Rank.R1>,
        );
        const transformed = layerNorm(
          activation(dense, config.hiddenAct),
          v(MLM_HEAD_NAMES.normWeight) as tf.Variable<tf.Rank.R1>,
          v(MLM_HEAD_NAMES.normBias) as tf.Variable<tf.Rank.R1>,
          config.layerNormEps,
        );
        return linear(
          transformed,
          embeddings as tf.Variable<tf.Rank.R2>,
          v(MLM_HEAD_NAMES.bias) as tf.Variable<tf.Rank.R1>,
        ) as tf.Tensor2D;
      });
    },
    async readWeights() {
      const out: BertWeights = new Map();
      for (const [name, variable] of variables) {
        const data = Float32Array.from((await variable.data()) as Float32Array);
        out.set(name, { dtype: 'F32', shape: [...variable.shape], data });
      }
      return out;
    },
    dispose() {
      for (const variable of variables.values()) variable.dispose();
      variables.clear();
    },
  };
}
