export { AdamW, clipByGlobalNorm, decays, type AdamWOptions } from './adamw.ts';
export { correctCount, maskBatch, pickRows } from './batches.ts';
export {
  BEST_PREFIX,
  ENCODER_PREFIX,
  assignMlmWeights,
  buildMlmModel,
  encodeCheckpointTensors,
  extractEncoderSafetensors,
  mlmModelConfig,
  readMlmWeights,
  tensorsUnder,
  type MlmModel,
} from './model-io.ts';
export { learningRateAt, warmupStepsOf, type ScheduleOptions } from './schedule.ts';
export {
  emptyPendingLog,
  emptySummary,
  stateFromJson,
  stateToJson,
  type CheckpointReason,
  type MetricsSummary,
  type MlmScores,
  type PendingLog,
  type TrainState,
  type TrainStatus,
} from './state.ts';
export {
  runLength,
  trainMlm,
  type TrainCheckpoint,
  type TrainMlmOptions,
  type TrainMlmResult,
} from './trainer.ts';
export {
  MLM_RUN_KIND,
  resumeMlmRun,
  startMlmRun,
  type MlmCorpus,
  type MlmRunControls,
  type MlmRunRequest,
  type MlmRunResult,
} from './store-run.ts';
export { trainedModelFiles, type TrainedModelInput } from './model-files.ts';
