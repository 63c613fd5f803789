import type { JsonValue } from '../../types.ts';
import type { TrainConfig } from '../config/types.ts';

export type CheckpointReason = 'interval' | 'epoch' | 'best' | 'final';
export type TrainStatus = 'running' | 'completed' | 'early-stopped' | 'stopped';

/** Loss, masked-token accuracy and perplexity (exp loss) of one evaluation or log window. */
export interface MlmScores {
  loss: number;
  accuracy: number;
  perplexity: number;
}

/** What a run has reached so far; in every checkpoint and in the result. */
export interface MetricsSummary {
  lastTrain: MlmScores | null;
  lastValidation: MlmScores | null;
  bestValLoss: number | null;
  bestStep: number | null;
  /** Non-padding tokens seen in training steps, and the seconds spent on them (all sessions). */
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
}

/** Sums since the last train log row, so a resumed run logs the same averages. */
export interface PendingLog {
  steps: number;
  lossSum: number;
  correct: number;
  masked: number;
  tokens: number;
  seconds: number;
}

/** The JSON half of a checkpoint (the tensors are the other half). */
export interface TrainState {
  version: 1;
  status: TrainStatus;
  /** Optimizer steps done; the next step has this index. */
  step: number;
  totalSteps: number;
  stepsPerEpoch: number;
  /** Where the next step reads: epoch and micro-batch index within that epoch's order. */
  position: { epoch: number; batch: number };
  /** Every random stream is (seed, name of step): these seeds are all the RNG state there is. */
  seeds: { data: number; training: number };
  schedule: { step: number; warmupSteps: number; totalSteps: number };
  patienceCounter: number;
  pendingLog: PendingLog;
  summary: MetricsSummary;
  dataFingerprint: string;
  config: TrainConfig;
}

export function stateToJson(state: TrainState): JsonValue {
  return JSON.parse(JSON.stringify(state)) as JsonValue;
}

/** What a stored checkpoint state must hold for a resume to rely on it. */
export interface StateShape {
  /** The error's message when the JSON is not such a state at all. */
  notState: string;
  /** A `kind` the state must carry, when states of several runs could be confused. */
  kind?: string;
  numbers: readonly string[];
  objects: readonly string[];
}

/** Checks a stored state's JSON against `shape` before a run trusts it as its own state. */
export function checkStateJson(json: JsonValue, shape: StateShape): { [key: string]: JsonValue } {
  if (
    typeof json !== 'object' ||
    json === null ||
    Array.isArray(json) ||
    json['version'] !== 1 ||
    (shape.kind !== undefined && json['kind'] !== shape.kind)
  ) {
    throw new RangeError(shape.notState);
  }
  for (const key of shape.numbers) {
    if (typeof json[key] !== 'number') throw new RangeError(`Checkpoint state lacks "${key}"`);
  }
  for (const key of shape.objects) {
    if (typeof json[key] !== 'object' || json[key] === null) {
      throw new RangeError(`Checkpoint state lacks "${key}"`);
    }
  }
  return json;
}

/** Reads a stored state back, checking the fields a resume relies on. */
export function stateFromJson(json: JsonValue): TrainState {
  const checked = checkStateJson(json, {
    notState: 'Not a Lumina MLM training checkpoint state (version 1)',
    numbers: ['step', 'totalSteps', 'stepsPerEpoch', 'patienceCounter'],
    objects: ['position', 'seeds', 'schedule', 'pendingLog', 'summary', 'config'],
  });
  // Numbers that JSON cannot hold (Infinity) were written as null and are read as such.
  return checked as unknown as TrainState;
}

export function emptyPendingLog(): PendingLog {
  return { steps: 0, lossSum: 0, correct: 0, masked: 0, tokens: 0, seconds: 0 };
}

export function emptySummary(): MetricsSummary {
  return {
    lastTrain: null,
    lastValidation: null,
    bestValLoss: null,
    bestStep: null,
    tokens: 0,
    seconds: 0,
    tokensPerSecond: 0,
  };
}
