import * as tf from '@tensorflow/tfjs';
import { correctCount } from '../loop/batches.ts';
import type { BatchRows, TrainObjective } from '../loop/objective.ts';
import { crossEntropy } from '../mlm/loss.ts';
import type { Gpt2Decoder } from './model.ts';

/** Flat indices b·seq + s of positions whose next token is a target, and those tokens. */
export function nextTokenTargets(rows: BatchRows): { positions: Int32Array; targets: Int32Array } {
  const positions: number[] = [];
  const targets: number[] = [];
  const seq = rows.inputIds[0]?.length ?? 0;
  rows.inputIds.forEach((ids, b) => {
    const mask = rows.attentionMask[b] ?? [];
    for (let s = 0; s + 1 < seq; s++) {
      if (mask[s] === 1 && mask[s + 1] === 1) {
        positions.push(b * seq + s);
        targets.push(ids[s + 1] ?? 0);
      }
    }
  });
  return { positions: Int32Array.from(positions), targets: Int32Array.from(targets) };
}

/**
 * Next-token prediction (HF GPT2LMHeadModel with labels = input ids): cross-entropy of token s+1
 * from the logits at s, over every non-padding pair; accuracy is the share of arg-max hits.
 */
export function causalLmObjective(model: Gpt2Decoder): TrainObjective {
  return {
    params: model.variables,
    batch(rows) {
      const { positions, targets } = nextTokenTargets(rows);
      if (targets.length === 0) return null;
      const seq = rows.inputIds[0]?.length ?? 0;
      return {
        count: targets.length,
        forward(options) {
          const ids = tf.tensor2d(rows.inputIds.flat(), [rows.inputIds.length, seq], 'int32');
          const mask = tf.tensor2d(rows.attentionMask.flat(), [rows.inputIds.length, seq], 'int32');
          const hidden = model.forward(ids, mask, options).reshape([-1, model.config.nEmbd]);
          const logits = model.logits(
            tf.gather(hidden as tf.Tensor2D, tf.tensor1d(positions, 'int32')),
          );
          return { loss: crossEntropy(logits, targets), correct: correctCount(logits, targets) };
        },
      };
    },
    readWeights: () => model.readWeights(),
    assignWeights: (weights) => model.assignWeights(weights),
  };
}
