import type { Gpt2Weights } from '../../model/decoder/gpt2-weights.ts';
import type { MlmData } from '../data/prepare.ts';
import { runTraining, type TrainLoopOptions, type TrainLoopResult } from '../loop/trainer.ts';
import { decoderConfigFromTrainConfig, type DecoderConfig } from './config.ts';
import type { CausalTokenizer } from './data.ts';
import { createGpt2Decoder } from './model.ts';
import { causalLmObjective } from './objective.ts';
import { readGpt2Safetensors, writeGpt2Safetensors } from './weights-io.ts';

export interface TrainCausalLmOptions extends TrainLoopOptions {
  tokenizer: CausalTokenizer;
  /** Blocks from {@link prepareCausalLmData}. */
  data: MlmData;
}

export interface TrainCausalLmResult extends Omit<TrainLoopResult, 'weights'> {
  decoderConfig: DecoderConfig;
  /** The trained weights (best ones after early stopping) under HF GPT2LMHeadModel names. */
  weights: Gpt2Weights;
  /** `model.safetensors` of those weights. */
  safetensors: Uint8Array;
}

/**
 * Causal-LM pretraining of a GPT-2 decoder with the shared training loop (AdamW, schedules,
 * clipping, accumulation, early stopping, checkpoints, exact resume). The config's model section
 * gives the GPT-2's sizes (see {@link decoderConfigFromTrainConfig}); its masking fields are unused.
 * Train and validation rows report loss (mean next-token NLL), next-token accuracy and
 * perplexity = exp(loss).
 */
export async function trainCausalLm(options: TrainCausalLmOptions): Promise<TrainCausalLmResult> {
  const { tokenizer } = options;
  const result = await runTraining(options, async (config, bytes, seed) => {
    const decoderConfig = decoderConfigFromTrainConfig(config, tokenizer);
    const loaded = bytes ? readGpt2Safetensors(decoderConfig, bytes) : null;
    const model = await createGpt2Decoder(decoderConfig, loaded?.weights, { seed });
    return {
      objective: causalLmObjective(model),
      rest: loaded?.rest ?? new Map(),
      dispose: () => model.dispose(),
    };
  });
  const decoderConfig = decoderConfigFromTrainConfig(result.config, tokenizer);
  return {
    ...result,
    decoderConfig,
    safetensors: writeGpt2Safetensors(decoderConfig, result.weights),
  };
}
