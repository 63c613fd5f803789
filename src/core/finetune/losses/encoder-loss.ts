import * as tf from '@tensorflow/tfjs';
import type { BertEncoder, ForwardOptions } from '../../train/bert/encoder.ts';
import type { TokenBatch } from '../../train/bert/inputs.ts';
import { embedBatch, type PoolingOptions } from '../pooling.ts';
import {
  contrastiveLoss,
  onlineContrastiveLoss,
  type ContrastiveLossOptions,
  type OnlineContrastiveLossOptions,
} from './contrastive.ts';
import { cosineSimilarityLoss } from './cosine-similarity.ts';
import {
  multipleNegativesRankingLoss,
  multipleNegativesSymmetricRankingLoss,
  type RankingLossOptions,
} from './multiple-negatives-ranking.ts';

/** (anchor, positive[, negatives…]) token batches, for the ranking losses. */
export interface RankingBatch {
  kind: 'ranking';
  anchors: TokenBatch;
  positives: TokenBatch;
  negatives?: readonly TokenBatch[];
}

/** Sentence pairs with a 0/1 label (contrastive losses) or a normalised score (cosine loss). */
export interface PairBatch {
  kind: 'pairs';
  first: TokenBatch;
  second: TokenBatch;
  labels: readonly number[];
}

export type FinetuneBatch = RankingBatch | PairBatch;

export type LossConfig =
  | ({ name: 'mnrl'; symmetric?: boolean } & RankingLossOptions)
  | ({ name: 'contrastive' } & ContrastiveLossOptions)
  | ({ name: 'online-contrastive' } & OnlineContrastiveLossOptions)
  | { name: 'cosine' };

export type LossName = LossConfig['name'];

/** Which batch a loss trains on. */
export function batchKindOf(loss: LossName): FinetuneBatch['kind'] {
  return loss === 'mnrl' ? 'ranking' : 'pairs';
}

/**
 * A loss over the encoder's trainable variables for one batch: call it inside
 * tf.variableGrads(() => loss(encoder, batch, { training: true, seed })). Returns a scalar the
 * caller owns; every intermediate tensor is freed.
 */
export type EncoderLoss = (
  encoder: BertEncoder,
  batch: FinetuneBatch,
  forward?: ForwardOptions,
) => tf.Scalar;

/** Each sentence column gets its own dropout stream under the step's seed. */
function columnForward(forward: ForwardOptions, column: number): ForwardOptions {
  return forward.seed === undefined ? forward : { ...forward, seed: forward.seed * 16 + column };
}

export function createEncoderLoss(config: LossConfig, pooling: PoolingOptions): EncoderLoss {
  return (encoder, batch, forward = {}) => {
    if (batch.kind !== batchKindOf(config.name)) {
      throw new TypeError(`The ${config.name} loss needs a ${batchKindOf(config.name)} batch`);
    }
    return tf.tidy(() => {
      const embed = (tokens: TokenBatch, column: number): tf.Tensor2D =>
        embedBatch(encoder, tokens, pooling, columnForward(forward, column));
      if (batch.kind === 'ranking') {
        if (config.name !== 'mnrl') throw new TypeError('unreachable');
        const embeddings = {
          anchors: embed(batch.anchors, 0),
          positives: embed(batch.positives, 1),
          negatives: (batch.negatives ?? []).map((tokens, i) => embed(tokens, 2 + i)),
        };
        const options = config.scale === undefined ? {} : { scale: config.scale };
        return config.symmetric
          ? multipleNegativesSymmetricRankingLoss(embeddings, options)
          : multipleNegativesRankingLoss(embeddings, options);
      }
      const a = embed(batch.first, 0);
      const b = embed(batch.second, 1);
      switch (config.name) {
        case 'contrastive':
          return contrastiveLoss(a, b, batch.labels, config);
        case 'online-contrastive':
          return onlineContrastiveLoss(a, b, batch.labels, config);
        case 'cosine':
          return cosineSimilarityLoss(a, b, batch.labels);
        default:
          throw new TypeError('unreachable');
      }
    });
  };
}
