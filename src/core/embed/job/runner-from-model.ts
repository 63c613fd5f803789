import type { EmbeddingModel } from '../runtime/index.ts';
import type { EmbeddingRunner } from './types.ts';

/** Where the weights came from, as far as the caller knows it (see `EmbedModelSettings`). */
export interface ModelIdentity {
  revision: string | null;
  weightsSha256: string | null;
}

/** A loaded model as the job's runner; chunks are embedded as documents (document prefix). */
export function runnerFromModel(
  model: EmbeddingModel,
  modelId = model.info.name,
  identity: ModelIdentity = { revision: null, weightsSha256: null },
): EmbeddingRunner {
  const { info } = model;
  return {
    modelId,
    device: info.device,
    dims: info.dims,
    normalize: info.normalize,
    model: {
      pooling: info.pooling,
      dtype: info.dtype,
      queryPrefix: info.queryPrefix,
      documentPrefix: info.documentPrefix,
      ...identity,
    },
    countTokens: (texts) => model.countTokens(texts, 'document'),
    embed: (texts, signal) => model.embed(texts, 'document', signal),
  };
}
