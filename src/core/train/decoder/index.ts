export {
  assertDecoderTrainConfig,
  decoderConfigFromTrainConfig,
  dropoutJson,
  parseGpt2Config,
  type DecoderConfig,
  type DecoderTokenIds,
} from './config.ts';
export {
  causalBlocks,
  causalTokenizerFromJson,
  CausalTokenizerError,
  prepareCausalLmData,
  type CausalTokenizer,
} from './data.ts';
export {
  trainedDecoderFolder,
  type DecoderTrainingInfo,
  type TrainedDecoderFolderInput,
} from './export.ts';
export { greedyDecode } from './greedy.ts';
export {
  createGpt2Decoder,
  loadGpt2Decoder,
  type DecoderForwardOptions,
  type Gpt2Decoder,
} from './model.ts';
export { causalLmObjective, nextTokenTargets } from './objective.ts';
export {
  perplexityOfIds,
  perplexityOn,
  perplexityWindows,
  type PerplexityOptions,
  type PerplexityResult,
} from './perplexity.ts';
export { trainCausalLm, type TrainCausalLmOptions, type TrainCausalLmResult } from './trainer.ts';
export {
  checkGpt2Weights,
  Gpt2WeightsError,
  readGpt2Safetensors,
  writeGpt2Safetensors,
} from './weights-io.ts';
export { decoderTokenizerJson, trainDecoderTokenizer } from './tokenizer.ts';
export {
  wikiTextDecoderRecipe,
  type DecoderRecipeOptions,
  type DecoderRecipeResult,
} from './recipe.ts';
export {
  DECODER_RUN_KIND,
  decoderRunFolder,
  resumeDecoderRun,
  startDecoderRun,
  type DecoderRunRequest,
  type DecoderRunResult,
} from './store-run.ts';
