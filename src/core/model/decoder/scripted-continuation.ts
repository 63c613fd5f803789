import { SeededRandom } from '../seeded-random.ts';
import type { Gpt2Config } from './gpt2-config.ts';
import type { Gpt2Weights } from './gpt2-weights.ts';

/** Logit margin the scripted successor gets over the seeded noise (≈ strength). */
const DEFAULT_STRENGTH = 30;

/**
 * Makes greedy decoding of a seeded GPT-2 follow a fixed token chain, so tests can drive the real
 * generation path (ONNX model, transformers.js, streaming, citation parsing) to a known text
 * without a trained model. Each chain token x gets a large random embedding u_x, which dominates
 * the residual stream (every block reads it through LayerNorm and adds only ~0.02-scale updates),
 * so the final LayerNorm outputs ≈ LN(u_x); the LM-head row of x's successor gains
 * strength · LN(u_x) / nEmbd, a logit of ≈ strength there and ≈ strength/√nEmbd elsewhere.
 * The model stays a real transformer: other tokens and every other weight are untouched.
 *
 * `chain` is [trigger, t1, …, tn]: after the trigger the model emits t1 … tn. Each token may
 * appear as a predecessor only once (a bigram rule cannot branch). Needs an untied LM head.
 */
export function scriptContinuation(
  config: Gpt2Config,
  weights: Gpt2Weights,
  chain: readonly number[],
  { seed, strength = DEFAULT_STRENGTH }: { seed: number; strength?: number },
): void {
  if (config.tieWordEmbeddings) {
    throw new Error('A scripted continuation needs tieWordEmbeddings: false (its own lm_head)');
  }
  const predecessors = chain.slice(0, -1);
  const seen = new Set<number>();
  for (const id of predecessors) {
    if (id < 0 || id >= config.vocabSize) throw new Error(`Token ${id} is outside the vocabulary`);
    if (seen.has(id)) {
      throw new Error(
        `Token ${id} appears twice before the end of the chain; the script cannot branch`,
      );
    }
    seen.add(id);
  }
  const d = config.nEmbd;
  const wte = weights.get('transformer.wte.weight')?.data;
  const head = weights.get('lm_head.weight')?.data;
  if (!wte || !head) throw new Error('Missing transformer.wte.weight or lm_head.weight');
  const random = new SeededRandom(seed, 'scripted-continuation');
  for (let i = 0; i + 1 < chain.length; i++) {
    const from = chain[i] as number;
    const to = chain[i + 1] as number;
    const u = Array.from({ length: d }, () => random.nextNormal());
    for (let k = 0; k < d; k++) wte[from * d + k] = u[k] as number;
    const normalized = centredUnitVariance(u);
    for (let k = 0; k < d; k++) {
      head[to * d + k] = (head[to * d + k] as number) + (strength * (normalized[k] as number)) / d;
    }
  }
}

/** What LayerNorm with unit gain and zero bias makes of a vector. */
function centredUnitVariance(values: readonly number[]): number[] {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  const inv = 1 / Math.sqrt(variance + 1e-5);
  return values.map((v) => (v - mean) * inv);
}
