import { throwIfAborted, yieldToEventLoop } from '../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../progress.ts';
import type { BertConfig } from './bert-config.ts';
import { bertTensorSpecs, type TensorSpec } from './bert-tensors.ts';
import { elementCount } from './safetensors.ts';
import { SeededRandom } from './seeded-random.ts';

export interface Float32Tensor {
  dtype: 'F32';
  shape: number[];
  data: Float32Array;
}

/** Named float32 tensors in HF state-dict order; feeds `encodeSafetensors` and the exporter. */
export type BertWeights = Map<string, Float32Tensor>;

export interface InitBertOptions {
  seed: number;
  /** Include `pooler.dense.*`; default true, as in HF's `BertModel`. */
  pooler?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
}

/** Values drawn between abort checks and event-loop yields. */
const CHUNK = 1 << 20;

/**
 * Seeded random BERT weights the way HF initialises them: normal(0, initializer_range) for linear
 * and embedding weights (with the padding token's embedding row zeroed), zero biases, LayerNorm
 * gamma 1 and beta 0. Each tensor draws from its own stream keyed by (seed, name), so a tensor's
 * values do not depend on which other tensors exist (with or without the pooler, say).
 */
export async function initBertWeights(
  config: BertConfig,
  options: InitBertOptions,
): Promise<BertWeights> {
  const specs = bertTensorSpecs(config, { pooler: options.pooler ?? true });
  const total = specs.reduce((sum, spec) => sum + elementCount(spec.shape), 0);
  const progress = new ProgressReporter(options.onProgress);
  progress.start('Initialising weights');
  const weights: BertWeights = new Map();
  let done = 0;
  for (const spec of specs) {
    const data = new Float32Array(elementCount(spec.shape));
    if (spec.init === 'ones') data.fill(1);
    if (spec.init === 'normal') {
      const random = new SeededRandom(options.seed, spec.name);
      const std = config.initializerRange;
      for (let start = 0; start < data.length; start += CHUNK) {
        throwIfAborted(options.signal);
        const end = Math.min(data.length, start + CHUNK);
        for (let i = start; i < end; i++) data[i] = random.nextNormal() * std;
        progress.update(done + end, total, spec.name);
        await yieldToEventLoop();
      }
    }
    if (spec.name === 'embeddings.word_embeddings.weight') zeroPaddingRow(data, spec, config);
    weights.set(spec.name, { dtype: 'F32', shape: spec.shape, data });
    done += data.length;
    progress.update(done, total, spec.name);
  }
  throwIfAborted(options.signal);
  progress.finish();
  return weights;
}

/** HF's nn.Embedding(padding_idx=pad_token_id) zeroes that row at initialisation. */
function zeroPaddingRow(data: Float32Array, spec: TensorSpec, config: BertConfig): void {
  const width = spec.shape[1] ?? 0;
  data.fill(0, config.padTokenId * width, (config.padTokenId + 1) * width);
}
