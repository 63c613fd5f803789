import type { EmbedDevice } from '../runtime/types.ts';

export type DevicePreference = 'auto' | EmbedDevice;

/** What the page or worker knows about WebGPU before measuring anything. */
export interface WebGpuStatus {
  available: boolean;
  /** A software adapter (SwiftShader, WARP): correct but usually slower than WASM. */
  isFallbackAdapter: boolean;
  /** Why WebGPU is unavailable, in words, when it is. */
  reason?: string;
}

export interface DeviceMeasurement {
  device: EmbedDevice;
  tokensPerSecond: number;
  /** Set when the device failed during calibration; tokensPerSecond is then 0. */
  error?: string;
}

export interface DeviceChoice {
  device: EmbedDevice;
  /** Shown to the user next to the device. */
  reason: string;
  measurements: DeviceMeasurement[];
  forced: boolean;
  decidedAt: number;
}

export interface DeviceChoiceContext {
  webgpu: WebGpuStatus;
  /** Runs a short calibration of the actual model on a device: warm-up, then timed batches. */
  measure: (device: EmbedDevice) => Promise<number>;
  /** A choice made earlier for the same model on this device, reused instead of measuring. */
  remembered?: DeviceChoice;
  now?: () => number;
}

function rate(m: DeviceMeasurement): string {
  return m.error ? `failed: ${m.error}` : `${Math.round(m.tokensPerSecond)} tokens/s`;
}

async function measureSafely(
  device: EmbedDevice,
  measure: DeviceChoiceContext['measure'],
): Promise<DeviceMeasurement> {
  try {
    return { device, tokensPerSecond: await measure(device) };
  } catch (error) {
    if (error instanceof Error && error.name === 'AbortError') throw error;
    return {
      device,
      tokensPerSecond: 0,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

/**
 * Picks the device an embedding job runs on. `auto` measures both devices on the actual model
 * (once; the caller remembers the result per model and device) and takes the faster, so a
 * software WebGPU adapter that is slower than WASM is never chosen. A forced device is honoured,
 * except WebGPU where there is none, which is an error rather than a silent fallback.
 */
export async function chooseDevice(
  preference: DevicePreference,
  context: DeviceChoiceContext,
): Promise<DeviceChoice> {
  const now = context.now ?? Date.now;
  const { webgpu } = context;
  if (preference === 'webgpu' && !webgpu.available) {
    throw new Error(
      `WebGPU was chosen but is not available here (${webgpu.reason ?? 'no adapter'}). Choose WASM or Auto.`,
    );
  }
  if (preference !== 'auto') {
    return {
      device: preference,
      reason: `${preference === 'webgpu' ? 'WebGPU' : 'WASM'} chosen by you.`,
      measurements: [],
      forced: true,
      decidedAt: now(),
    };
  }
  if (context.remembered && !context.remembered.forced) {
    return {
      ...context.remembered,
      reason: `${context.remembered.reason} (measured ${new Date(context.remembered.decidedAt).toISOString().slice(0, 10)})`,
    };
  }
  if (!webgpu.available) {
    return {
      device: 'wasm',
      reason: `WASM: WebGPU is not available (${webgpu.reason ?? 'no adapter'}).`,
      measurements: [],
      forced: false,
      decidedAt: now(),
    };
  }
  const wasm = await measureSafely('wasm', context.measure);
  const gpu = await measureSafely('webgpu', context.measure);
  const measurements = [wasm, gpu];
  if (wasm.error && gpu.error) {
    throw new Error(
      `Neither device could run this model: WASM ${rate(wasm)}; WebGPU ${rate(gpu)}.`,
    );
  }
  const gpuWins = !gpu.error && gpu.tokensPerSecond > wasm.tokensPerSecond;
  const device: EmbedDevice = gpuWins ? 'webgpu' : 'wasm';
  const adapter = webgpu.isFallbackAdapter ? 'software WebGPU adapter' : 'WebGPU';
  const reason = gpuWins
    ? `WebGPU: measured ${rate(gpu)} vs WASM ${rate(wasm)}.`
    : `WASM: measured ${rate(wasm)} vs ${adapter} ${rate(gpu)}.`;
  return { device, reason, measurements, forced: false, decidedAt: now() };
}
