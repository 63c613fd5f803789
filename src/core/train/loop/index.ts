export { AdamW, clipByGlobalNorm, decays, type AdamWOptions } from './adamw.ts';
export { correctCount, maskBatch, pickRows } from './batches.ts';
export { patienceVerdict, type EarlyStoppingRule, type PatienceVerdict } from './early-stopping.ts';
export { StepGradients, adamWFor, paramIndex, scalarOf, type ParamIndex } from './gradients.ts';
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
export {
  checkpointWriter,
  metricsEmitter,
  type CheckpointWeights,
  type MetricSinks,
  type RunCheckpoint,
  type RunSinks,
} from './run-sinks.ts';
export {
  refuseMixedPrecision,
  restoreFromCheckpoint,
  resumedState,
  trainingWithoutBackend,
  type ResumeChecks,
} from './resume.ts';
export { learningRateAt, scheduleOf, warmupStepsOf, type ScheduleOptions } from './schedule.ts';
export {
  checkStateJson,
  emptyPendingLog,
  emptySummary,
  stateFromJson,
  stateToJson,
  type CheckpointReason,
  type MetricsSummary,
  type MlmScores,
  type PendingLog,
  type StateShape,
  type TrainState,
  type TrainStatus,
} from './state.ts';
export {
  finishMessage,
  runSteps,
  startProgress,
  type FinishedStatus,
  type StepFigures,
  type StepLoop,
} from './step-loop.ts';
export {
  runLength,
  runTraining,
  trainMlm,
  type BuildObjectiveModel,
  type TrainCheckpoint,
  type TrainLoopOptions,
  type TrainLoopResult,
  type TrainMlmOptions,
  type TrainMlmResult,
} from './trainer.ts';
export { mlmObjective } from './mlm-objective.ts';
export type { BatchRows, ObjectiveBatch, ObjectiveModel, TrainObjective } from './objective.ts';
export {
  MLM_RUN_KIND,
  corpusTexts,
  resumeMlmRun,
  runInStore,
  startMlmRun,
  storedConfig,
  type StoredRunConfig,
  type StoredRunSinks,
  type MlmCorpus,
  type MlmRunControls,
  type MlmRunRequest,
  type MlmRunResult,
} from './store-run.ts';
export { trainedModelFiles, type TrainedModelInput } from './model-files.ts';
