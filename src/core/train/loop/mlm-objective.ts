import type { DataSection } from '../config/types.ts';
import type { MlmTokenizer } from '../data/tokenizer.ts';
import { crossEntropy, maskedPositions, mlmLogits } from '../mlm/loss.ts';
import { correctCount, maskBatch } from './batches.ts';
import { assignMlmWeights, readMlmWeights, type MlmModel } from './model-io.ts';
import type { TrainObjective } from './objective.ts';

/** Masked-token prediction: loss and accuracy on the positions the 80/10/10 rule chose. */
export function mlmObjective(
  model: MlmModel,
  tokenizer: MlmTokenizer,
  data: Pick<DataSection, 'mask_probability' | 'masking'>,
): TrainObjective {
  return {
    params: model.params,
    batch(rows, random) {
      const batch = maskBatch(rows, tokenizer, data, model.config.vocabSize, random);
      if (!batch) return null;
      const { positions, targets } = maskedPositions(batch.labels);
      return {
        count: targets.length,
        forward(options) {
          const logits = mlmLogits(model.encoder, model.head, batch, positions, options);
          return { loss: crossEntropy(logits, targets), correct: correctCount(logits, targets) };
        },
      };
    },
    readWeights: () => readMlmWeights(model),
    assignWeights: (weights) => assignMlmWeights(model, weights),
  };
}
