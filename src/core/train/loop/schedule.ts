import type { LrSchedule, TrainingSection } from '../config/types.ts';

export interface ScheduleOptions {
  learningRate: number;
  schedule: LrSchedule;
  warmupSteps: number;
  totalSteps: number;
}

/** `warmup_steps` when set, else `warmup_ratio` of the run, rounded up as HF's Trainer does. */
export function warmupStepsOf(
  warmupSteps: number,
  warmupRatio: number,
  totalSteps: number,
): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(warmupRatio * totalSteps);
}

/** A run's schedule from its training section, for a run of `totalSteps` optimizer steps. */
export function scheduleOf(
  training: Pick<TrainingSection, 'learning_rate' | 'schedule' | 'warmup_steps' | 'warmup_ratio'>,
  totalSteps: number,
): ScheduleOptions {
  return {
    learningRate: training.learning_rate,
    schedule: training.schedule,
    warmupSteps: warmupStepsOf(training.warmup_steps, training.warmup_ratio, totalSteps),
    totalSteps,
  };
}

/**
 * The learning rate of optimizer step `step` (0-based), as HF's get_*_schedule_with_warmup:
 * linear warmup from 0, then linear or half-cosine decay to 0 at `totalSteps`, or constant.
 */
export function learningRateAt(step: number, options: ScheduleOptions): number {
  const { learningRate, schedule, warmupSteps, totalSteps } = options;
  if (step < warmupSteps) return (learningRate * step) / Math.max(1, warmupSteps);
  if (schedule === 'constant') return learningRate;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  if (schedule === 'linear') return learningRate * Math.max(0, 1 - progress);
  return learningRate * Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}
