import type { BertWeights } from '../../model/init.ts';
import type { ProgressCallback } from '../../progress.ts';
import type { MetricRow } from '../../store/records.ts';
import type { JsonValue } from '../../types.ts';
import type { AdamW } from './adamw.ts';
import { encodeCheckpointTensors } from './model-io.ts';
import type { CheckpointReason, TrainStatus } from './state.ts';

/** A checkpoint as a run hands it to its sink: the tensors blob and the JSON state. */
export interface RunCheckpoint<State> {
  step: number;
  reason: CheckpointReason;
  tensors: Uint8Array;
  state: State;
}

/** Where a run's metric rows go. */
export interface MetricSinks {
  /** Durable sink for metric rows (the store's appendMetrics, a JSONL file). */
  saveMetrics?: (rows: MetricRow[]) => Promise<void>;
  /** Live rows for charts, the same as saved. */
  onMetrics?: (rows: MetricRow[]) => void;
}

/** The resume point and sinks every training run takes, whatever it trains. */
export interface RunSinks<State> extends MetricSinks {
  /** Continue a run from one of its checkpoints; data and settings must be the same. */
  resume?: { tensors: Uint8Array; state: JsonValue };
  saveCheckpoint?: (checkpoint: RunCheckpoint<State>) => Promise<void>;
  onProgress?: ProgressCallback;
  /** Stop: the step under way finishes, a final checkpoint is written and the run returns. */
  signal?: AbortSignal;
}

/** Sends rows to the live sink, then to the durable one. */
export function metricsEmitter(sinks: MetricSinks): (rows: MetricRow[]) => Promise<void> {
  return async (rows) => {
    if (rows.length === 0) return;
    sinks.onMetrics?.(rows);
    await sinks.saveMetrics?.(rows);
  };
}

/** The tensors a checkpoint holds besides the optimizer's, under their checkpoint names. */
export interface CheckpointWeights {
  model: BertWeights;
  best: BertWeights | null;
}

/**
 * Writes checkpoints of a run: model, optimizer moments and best weights in one safetensors
 * blob, and a copy of the state as the loop stands (its status at that point).
 */
export function checkpointWriter<State extends { step: number; status: TrainStatus }>(
  save: ((checkpoint: RunCheckpoint<State>) => Promise<void>) | undefined,
  state: State,
  optimizer: AdamW,
  weights: () => Promise<CheckpointWeights>,
): (reason: CheckpointReason, status: TrainStatus) => Promise<void> {
  return async (reason, status) => {
    if (!save) return;
    const { model, best } = await weights();
    const tensors = encodeCheckpointTensors(model, await optimizer.readState(), best);
    await save({ step: state.step, reason, tensors, state: structuredClone({ ...state, status }) });
  };
}
