import { throwIfAborted, yieldToEventLoop } from '../../abort.ts';
import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import type { Float32Tensor } from '../init.ts';
import { elementCount } from '../safetensors.ts';
import { SeededRandom } from '../seeded-random.ts';
import type { Gpt2Config } from './gpt2-config.ts';

export type Gpt2Weights = Map<string, Float32Tensor>;

type Gpt2Init = 'normal' | 'residual' | 'zeros' | 'ones';

export interface Gpt2TensorSpec {
  name: string;
  shape: number[];
  init: Gpt2Init;
}

/**
 * HF GPT2LMHeadModel's state dict: Conv1D weights are stored [in, out] (the transpose of
 * nn.Linear), so they feed MatMul as they are. `lm_head.weight` exists only when untied.
 */
export function gpt2TensorSpecs(config: Gpt2Config): Gpt2TensorSpec[] {
  const d = config.nEmbd;
  const specs: Gpt2TensorSpec[] = [
    { name: 'transformer.wte.weight', shape: [config.vocabSize, d], init: 'normal' },
    { name: 'transformer.wpe.weight', shape: [config.nPositions, d], init: 'normal' },
  ];
  for (let i = 0; i < config.nLayer; i++) {
    const p = `transformer.h.${i}`;
    specs.push(
      { name: `${p}.ln_1.weight`, shape: [d], init: 'ones' },
      { name: `${p}.ln_1.bias`, shape: [d], init: 'zeros' },
      { name: `${p}.attn.c_attn.weight`, shape: [d, 3 * d], init: 'normal' },
      { name: `${p}.attn.c_attn.bias`, shape: [3 * d], init: 'zeros' },
      { name: `${p}.attn.c_proj.weight`, shape: [d, d], init: 'residual' },
      { name: `${p}.attn.c_proj.bias`, shape: [d], init: 'zeros' },
      { name: `${p}.ln_2.weight`, shape: [d], init: 'ones' },
      { name: `${p}.ln_2.bias`, shape: [d], init: 'zeros' },
      { name: `${p}.mlp.c_fc.weight`, shape: [d, config.nInner], init: 'normal' },
      { name: `${p}.mlp.c_fc.bias`, shape: [config.nInner], init: 'zeros' },
      { name: `${p}.mlp.c_proj.weight`, shape: [config.nInner, d], init: 'residual' },
      { name: `${p}.mlp.c_proj.bias`, shape: [d], init: 'zeros' },
    );
  }
  specs.push(
    { name: 'transformer.ln_f.weight', shape: [d], init: 'ones' },
    { name: 'transformer.ln_f.bias', shape: [d], init: 'zeros' },
  );
  if (!config.tieWordEmbeddings) {
    specs.push({ name: 'lm_head.weight', shape: [config.vocabSize, d], init: 'normal' });
  }
  return specs;
}

export function countGpt2Parameters(config: Gpt2Config): number {
  return gpt2TensorSpecs(config).reduce((sum, spec) => sum + elementCount(spec.shape), 0);
}

const CHUNK = 1 << 20;

/**
 * Seeded weights the way HF's GPT2PreTrainedModel._init_weights draws them: normal(0, 0.02) for
 * embeddings and Conv1D weights, std / √(2·n_layer) for the two residual projections (`c_proj`),
 * zero biases, LayerNorm 1 / 0. Each tensor has its own stream keyed by (seed, name).
 */
export async function initGpt2Weights(
  config: Gpt2Config,
  options: { seed: number; signal?: AbortSignal; onProgress?: ProgressCallback },
): Promise<Gpt2Weights> {
  const specs = gpt2TensorSpecs(config);
  const total = specs.reduce((sum, spec) => sum + elementCount(spec.shape), 0);
  const progress = new ProgressReporter(options.onProgress);
  progress.start('Initialising decoder weights');
  const weights: Gpt2Weights = new Map();
  let done = 0;
  for (const spec of specs) {
    const data = new Float32Array(elementCount(spec.shape));
    if (spec.init === 'ones') data.fill(1);
    if (spec.init === 'normal' || spec.init === 'residual') {
      const std =
        spec.init === 'normal'
          ? config.initializerRange
          : config.initializerRange / Math.sqrt(2 * config.nLayer);
      const random = new SeededRandom(options.seed, spec.name);
      for (let start = 0; start < data.length; start += CHUNK) {
        throwIfAborted(options.signal);
        const end = Math.min(data.length, start + CHUNK);
        for (let i = start; i < end; i++) data[i] = random.nextNormal() * std;
        progress.update(done + end, total, spec.name);
        await yieldToEventLoop();
      }
    }
    weights.set(spec.name, { dtype: 'F32', shape: spec.shape, data });
    done += data.length;
  }
  throwIfAborted(options.signal);
  progress.finish();
  return weights;
}

/** The output projection [vocab, nEmbd]: `lm_head.weight`, or the token embeddings when tied. */
export function outputEmbedding(config: Gpt2Config, weights: Gpt2Weights): Float32Tensor {
  const name = config.tieWordEmbeddings ? 'transformer.wte.weight' : 'lm_head.weight';
  const tensor = weights.get(name);
  if (!tensor) throw new Error(`Missing weight "${name}"`);
  return tensor;
}
