import type { BertWeights } from '../../model/init.ts';
import type { JsonValue } from '../../types.ts';
import type { TrainingSection } from '../config/types.ts';
import type { AdamW } from './adamw.ts';
import { tensorsUnder } from './model-io.ts';

/** The training section a resume compares: the backend may change from session to session. */
export function trainingWithoutBackend(
  training: TrainingSection,
): Omit<TrainingSection, 'backend'> {
  const { backend: _backend, ...rest } = training;
  return rest;
}

/**
 * Refuses half precision before any work starts: TF.js 4.22 has no float16 tensor type on any
 * backend (webgpu included).
 */
export function refuseMixedPrecision(training: Pick<TrainingSection, 'mixed_precision'>): void {
  if (training.mixed_precision !== 'off') {
    throw new RangeError(
      `training.mixed_precision "${training.mixed_precision}": TF.js has no float16 tensors on any ` +
        'backend, so Lumina trains in float32; set it to "off"',
    );
  }
}

/** How a run tells its own checkpoints from others', and what it says when they differ. */
export interface ResumeChecks<State> {
  parse: (json: JsonValue) => State;
  /** The settings a resume must share, as one string, for a stored state and for this run. */
  settingsKeyOf: (state: State) => string;
  settingsKey: string;
  dataFingerprint: string;
  messages: { settings: string; data: string };
}

/**
 * The state of the checkpoint a run resumes from (null for a new run), once it is known to be
 * this run's: the same settings and the same data, so the resumed run follows the uninterrupted
 * one.
 */
export function resumedState<State extends { dataFingerprint: string }>(
  resume: { state: JsonValue } | undefined,
  checks: ResumeChecks<State>,
): State | null {
  if (!resume) return null;
  const state = checks.parse(resume.state);
  if (checks.settingsKeyOf(state) !== checks.settingsKey) {
    throw new RangeError(checks.messages.settings);
  }
  if (state.dataFingerprint !== checks.dataFingerprint) throw new RangeError(checks.messages.data);
  return state;
}

/**
 * Puts a checkpoint's optimizer moments back (at the checkpoint's step) and returns early
 * stopping's best weights stored under `bestPrefix`, with it removed (null when none were kept).
 */
export function restoreFromCheckpoint(
  optimizer: AdamW,
  tensors: BertWeights,
  step: number,
  bestPrefix: string,
): BertWeights | null {
  optimizer.loadState(tensors, step);
  const best = tensorsUnder(tensors, bestPrefix);
  return best.size > 0 ? best : null;
}
