import type { EmbeddingModel } from '../runtime/index.ts';
import type { EmbeddingRunner } from './types.ts';

/** A loaded model as the job's runner; chunks are embedded as documents (document prefix). */
export function runnerFromModel(model: EmbeddingModel, modelId = model.info.name): EmbeddingRunner {
  const { info } = model;
  return {
    modelId,
    device: info.device,
    dims: info.dims,
    normalize: info.normalize,
    countTokens: (texts) => model.countTokens(texts, 'document'),
    embed: (texts, signal) => model.embed(texts, 'document', signal),
  };
}
