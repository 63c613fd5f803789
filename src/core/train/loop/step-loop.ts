import { ProgressReporter, type ProgressCallback } from '../../progress.ts';
import type { TrainingSection } from '../config/types.ts';
import type { CheckpointReason, TrainStatus } from './state.ts';

export type FinishedStatus = Exclude<TrainStatus, 'running'>;

/** What every train log row carries besides the objective's own scores. */
export interface StepFigures {
  lr: number;
  gradNorm: number;
}

/**
 * A run as the shared step loop drives it: the loop owns the cadences (logging, evaluation,
 * checkpoints), stopping, pausing and progress; the run owns its step, rows and state.
 */
export interface StepLoop {
  training: Pick<
    TrainingSection,
    'log_every_steps' | 'eval_every_steps' | 'checkpoint_every_steps'
  >;
  /** The run's state: `trainStep` advances `step`; the loop sets `status` when it ends. */
  state: { step: number; totalSteps: number; status: TrainStatus };
  progress: ProgressReporter;
  signal?: AbortSignal | undefined;
  /** Polled between steps; while true the loop waits (and can still be stopped). */
  isPaused?: (() => boolean) | undefined;
  trainStep(): Promise<StepFigures>;
  /** Whether a run that has done `steps` steps is at an epoch's end. */
  isEpochEnd(steps: number): boolean;
  /** Writes the train row of the log window that ends at this step. */
  logTrain(figures: StepFigures): Promise<void>;
  /**
   * Evaluates, writes its row and does early stopping's bookkeeping; true when patience ran out.
   * Absent when the run has nothing to evaluate on.
   */
  validate?: (() => Promise<boolean>) | undefined;
  /** Saves a checkpoint; `status` is the loop's at that point. */
  checkpoint(reason: CheckpointReason, status: TrainStatus): Promise<void>;
}

const PAUSE_POLL_MS = 100;

/** A progress reporter that has said whether the run starts or resumes. */
export function startProgress(
  onProgress: ProgressCallback | undefined,
  step: number,
  label: string,
): ProgressReporter {
  const progress = new ProgressReporter(onProgress);
  progress.start(step > 0 ? `Resuming at step ${step}` : label);
  return progress;
}

export function finishMessage(status: FinishedStatus, step: number): string {
  return status === 'stopped' ? `Stopped at step ${step}` : `Finished at step ${step} (${status})`;
}

/**
 * Runs steps until the run completes, stops early or is stopped, then writes the final
 * checkpoint. A stopped run resumed goes on; a finished one stays finished.
 */
export async function runSteps(loop: StepLoop): Promise<FinishedStatus> {
  const { training, state, signal } = loop;
  let status: TrainStatus =
    state.status === 'completed' || state.status === 'early-stopped' ? state.status : 'running';
  // Stop is checked between steps only: the step under way finishes with its evaluation, so
  // the final checkpoint is a consistent point to resume from.
  while (status === 'running' && state.step < state.totalSteps) {
    while (loop.isPaused?.() && !signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, PAUSE_POLL_MS));
    }
    if (signal?.aborted) {
      status = 'stopped';
      break;
    }
    const figures = await loop.trainStep();
    const epochEnd = loop.isEpochEnd(state.step);
    const lastStep = state.step === state.totalSteps;
    if (state.step % Math.max(1, training.log_every_steps) === 0 || epochEnd || lastStep) {
      await loop.logTrain(figures);
    }
    const evalNow =
      loop.validate !== undefined &&
      ((training.eval_every_steps > 0 && state.step % training.eval_every_steps === 0) ||
        epochEnd ||
        lastStep);
    if (evalNow && (await loop.validate?.())) status = 'early-stopped';
    loop.progress.update(state.step, state.totalSteps, `Step ${state.step} of ${state.totalSteps}`);
    if (status === 'running' && lastStep) status = 'completed';
    if (status !== 'running') break;
    if (epochEnd) await loop.checkpoint('epoch', status);
    else if (
      training.checkpoint_every_steps > 0 &&
      state.step % training.checkpoint_every_steps === 0
    ) {
      await loop.checkpoint('interval', status);
    }
  }
  const finished: FinishedStatus = status === 'running' ? 'completed' : status;
  state.status = finished;
  await loop.checkpoint('final', finished);
  return finished;
}
