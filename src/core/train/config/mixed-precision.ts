import type { TrainBackend, TrainConfig } from './types.ts';

/** What a backend can do on this device, as measured by whoever starts the run. */
export interface BackendCaps {
  backend: TrainBackend;
  /** float16 training kernels are available (on WebGPU: the adapter has `shader-f16` and the backend build uses it) */
  fp16: boolean;
  /** why not, when known (e.g. "adapter lacks shader-f16") */
  detail?: string;
}

/**
 * TF.js's cpu and wasm backends compute in float32 only, so fp16 there is a config error known
 * without looking at the device; on webgpu it depends on the adapter, so only `checkMixedPrecision`
 * with measured capabilities can tell.
 */
export const FP16_POSSIBLE: Readonly<Record<TrainBackend, boolean>> = {
  webgpu: true,
  wasm: false,
  cpu: false,
};

/** The device-independent part: fp16 asked for on a backend that never has it. */
export function staticMixedPrecisionProblem(config: Pick<TrainConfig, 'training'>): string | null {
  const { mixed_precision: precision, backend } = config.training;
  if (precision !== 'fp16' || FP16_POSSIBLE[backend]) return null;
  return `"fp16" is not available on the ${backend} backend (it computes in float32 only); set it to "off"`;
}

/**
 * Whether the config's mixed precision can run with these backend capabilities: null when it
 * can, otherwise a message naming the field and the way out.
 */
export function checkMixedPrecision(config: TrainConfig, caps: BackendCaps): string | null {
  const { mixed_precision: precision, backend } = config.training;
  if (precision === 'off') return null;
  const fixed = staticMixedPrecisionProblem(config);
  if (fixed) return `training.mixed_precision: ${fixed}.`;
  if (caps.backend !== backend) {
    return `training.mixed_precision: capabilities were measured for the ${caps.backend} backend, but training.backend is ${backend}.`;
  }
  if (!caps.fp16) {
    const why = caps.detail ? ` (${caps.detail})` : '';
    return `training.mixed_precision: "fp16" is not supported by the ${backend} backend on this device${why}; set it to "off".`;
  }
  return null;
}
