import { throwIfAborted } from '../../abort.ts';
import type { EmbedDevice } from '../runtime/types.ts';

/** The part of a loaded model calibration needs. */
export interface CalibrationModel {
  countTokens(texts: readonly string[]): Int32Array | Promise<Int32Array>;
  embed(texts: readonly string[]): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface CalibrationOptions {
  /** Texts like the corpus (a sample of its chunks); timed as one batch after a warm-up. */
  sample: readonly string[];
  /** Timed repetitions; the best is kept, so a stray pause does not decide the device. */
  repeats?: number;
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * Tokens per second of the actual model on one device. The first run compiles shaders and
 * allocates, so it is a warm-up and never timed (embedding-atlas does the same).
 */
export async function measureTokensPerSecond(
  device: EmbedDevice,
  load: (device: EmbedDevice) => Promise<CalibrationModel>,
  { sample, repeats = 2, signal, now = () => performance.now() }: CalibrationOptions,
): Promise<number> {
  if (!sample.length) throw new Error('Calibration needs at least one sample text.');
  const model = await load(device);
  try {
    throwIfAborted(signal);
    await model.embed(sample.slice(0, 2));
    const tokens = (await model.countTokens(sample)).reduce((sum, n) => sum + n, 0);
    let best = Infinity;
    for (let i = 0; i < repeats; i++) {
      throwIfAborted(signal);
      const started = now();
      await model.embed(sample);
      best = Math.min(best, Math.max(now() - started, 1e-3));
    }
    return (tokens / best) * 1000;
  } finally {
    await model.dispose();
  }
}
