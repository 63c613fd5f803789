import * as tf from '@tensorflow/tfjs';
import { throwIfAborted } from '../../abort.ts';
import type { Gpt2Decoder } from './model.ts';

/**
 * Greedy continuation (arg-max, lowest id on ties) of one prompt, stopping after `eosId`: the
 * whole sequence is rerun each step (no cache), which is plenty for checks and short answers.
 */
export async function greedyDecode(
  model: Gpt2Decoder,
  prompt: readonly number[],
  options: { maxNewTokens: number; eosId?: number; signal?: AbortSignal },
): Promise<number[]> {
  const ids = [...prompt];
  const generated: number[] = [];
  const eos = options.eosId ?? model.config.eosTokenId;
  for (let step = 0; step < options.maxNewTokens; step++) {
    throwIfAborted(options.signal);
    // The context window slides when the sequence outgrows the learned positions.
    const context = ids.slice(-model.config.nPositions);
    const next = tf.tidy(() => {
      const input = tf.tensor2d([context], [1, context.length], 'int32');
      const hidden = model.forward(input, tf.onesLike(input));
      const last = hidden.slice([0, context.length - 1, 0], [1, 1, model.config.nEmbd]);
      return tf.argMax(model.logits(last.reshape([1, model.config.nEmbd])), 1);
    });
    const id = Number((await next.data())[0]);
    next.dispose();
    generated.push(id);
    ids.push(id);
    if (id === eos) break;
  }
  return generated;
}
